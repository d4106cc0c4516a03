/* A driver that writes past the end of a 20-byte pool block (test/hardening/pool-overrun.test.ts).
 * MODE 0: writes only inside the block, then frees it. MODE 1: writes 40 bytes, then frees it (NT's
 * ExFreePool finds the next header overwritten: BAD_POOL_HEADER). MODE 2: writes 40 bytes and keeps
 * the block (run-driver's end-of-run check reports it). */
typedef unsigned long ULONG, SIZE_T;
typedef long NTSTATUS;
typedef void *PVOID;
#define NTAPI __stdcall

PVOID NTAPI ExAllocatePoolWithTag(int PoolType, SIZE_T NumberOfBytes, ULONG Tag);
void NTAPI ExFreePool(PVOID P);

#ifndef MODE
#define MODE 1
#endif

NTSTATUS NTAPI DriverEntry(PVOID DriverObject, PVOID RegistryPath) {
  (void)DriverObject;
  (void)RegistryPath;
  volatile unsigned char *p = ExAllocatePoolWithTag(0, 20, 0x6e76724f); /* 'Orvn' */
  if (!p) return 0xC000009A;
  SIZE_T n = MODE == 0 ? 20 : 40;
  for (SIZE_T i = 0; i < n; i++) p[i] = 0x41;
  if (MODE != 2) ExFreePool((PVOID)p);
  return 0;
}
