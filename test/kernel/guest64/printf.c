/* printf64.sys: DbgPrint, _snprintf and _vsnprintf from AMD64 code, where every variadic argument is
 * one 64-bit slot: %p prints the 64-bit address, %I64x/%llx/%Ix take one slot (not two), and the
 * arguments after them stay in place. Built by test/kernel/printf-amd64.test.ts. */
typedef unsigned long long SIZE_T;
typedef __builtin_va_list va_list;
unsigned long __cdecl DbgPrint(const char *, ...);
int __cdecl _snprintf(char *, SIZE_T, const char *, ...);
int __cdecl _vsnprintf(char *, SIZE_T, const char *, va_list);
static int fmt(char *b, const char *f, ...) {
  va_list va;
  __builtin_va_start(va, f);
  int n = _vsnprintf(b, 128, f, va);
  __builtin_va_end(va);
  return n;
}
long DriverEntry(void *driver, void *path) {
  char a[128], b[128];
  (void)path;
  DbgPrint("p=%p q=%I64x r=%llx s=%d t=%Ix u=%s", driver, 0x1122334455667788ULL, 0x8877665544332211ULL, -5,
           (SIZE_T)0xaabbccdd11223344ULL, "ok");
  _snprintf(a, sizeof a, "%p|%I64d|%x|%s|%I64u", driver, -2LL, 0x1234, "z", 18446744073709551615ULL);
  DbgPrint("%s", a);
  fmt(b, "%p|%llx|%d|%s", driver, 0xfedcba9876543210ULL, 7, "va");
  DbgPrint("%s", b);
  return 0;
}
