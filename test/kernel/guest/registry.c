/* Guest-level checks of RtlQueryRegistryValues over the driver's own service key (values written
 * with RtlWriteRegistryValue first): DIRECT stores, defaults, REQUIRED, callbacks per value and per
 * REG_MULTI_SZ string, NOVALUE, SUBKEY, DELETE, a failing callback, REG_EXPAND_SZ expanded against
 * the caller's environment block (or the system process's, which has none), under --kernel registry. */
typedef unsigned char UCHAR;
typedef unsigned short USHORT, WCHAR;
typedef unsigned long ULONG;
typedef long LONG, NTSTATUS;
typedef void *PVOID;
#define NTAPI __stdcall
#define NULL ((void *)0)

typedef struct { USHORT Length, MaximumLength; WCHAR *Buffer; } UNICODE_STRING;
typedef NTSTATUS(NTAPI *QUERY_ROUTINE)(WCHAR *, ULONG, PVOID, ULONG, PVOID, PVOID);
typedef struct {
    QUERY_ROUTINE QueryRoutine;
    ULONG Flags;
    WCHAR *Name;
    PVOID EntryContext;
    ULONG DefaultType;
    PVOID DefaultData;
    ULONG DefaultLength;
} QUERY_TABLE;

#define SUBKEY 0x01
#define REQUIRED 0x04
#define NOVALUE 0x08
#define NOEXPAND 0x10
#define DIRECT 0x20
#define DELETE 0x40
#define REG_NONE 0
#define REG_SZ 1
#define REG_EXPAND_SZ 2
#define REG_BINARY 3
#define REG_DWORD 4
#define REG_MULTI_SZ 7

ULONG __cdecl DbgPrint(const char *, ...);
NTSTATUS NTAPI RtlWriteRegistryValue(ULONG, const WCHAR *, const WCHAR *, ULONG, PVOID, ULONG);
NTSTATUS NTAPI RtlQueryRegistryValues(ULONG, const WCHAR *, QUERY_TABLE *, PVOID, PVOID);
void NTAPI RtlFreeUnicodeString(UNICODE_STRING *);

#include "check.h"

static int same(const WCHAR *a, const WCHAR *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

struct seen { int calls, nulls, total; ULONG types[8]; ULONG lengths[8]; };
static NTSTATUS NTAPI record(WCHAR *name, ULONG type, PVOID data, ULONG length, PVOID context, PVOID entry)
{
    struct seen *s = entry;
    (void)data, (void)context;
    if (s->calls < 8) {
        s->types[s->calls] = type;
        s->lengths[s->calls] = length;
    }
    if (!name)
        s->nulls++;
    s->calls++;
    s->total += *(int *)context;
    return 0;
}
/* Keeps the type and text of the value it is given. */
struct got { ULONG type, length; WCHAR text[64]; };
static NTSTATUS NTAPI keep(WCHAR *name, ULONG type, PVOID data, ULONG length, PVOID context, PVOID entry)
{
    struct got *g = entry;
    (void)name, (void)context;
    g->type = type;
    g->length = length;
    for (ULONG i = 0; i < length / 2 && i < 64; i++)
        g->text[i] = ((WCHAR *)data)[i];
    return 0;
}
static NTSTATUS NTAPI refuse(WCHAR *name, ULONG type, PVOID data, ULONG length, PVOID context, PVOID entry)
{
    (void)name, (void)type, (void)data, (void)length, (void)context;
    ++*(int *)entry;
    return 0xC0000001;
}

NTSTATUS NTAPI DriverEntry(PVOID driver, UNICODE_STRING *path)
{
    static WCHAR key[256], params[300];
    static const WCHAR hello[] = L"hello", multi[] = L"a\0bc\0", sub[] = L"\\Parameters";
    ULONG num = 0x1234, out = 0, def = 77, bin[2] = {0x11223344, 0x55667788};
    LONG big[3] = {-8, 0, 0}, framed[5] = {20, 0, 0, 0, 0};
    WCHAR buf[8];
    UNICODE_STRING str = {0, 0, NULL}, fixed = {0, sizeof buf, buf}, tiny = {0, 4, buf};
    struct seen s = {0};
    int ctx = 1, refused = 0, i;
    QUERY_TABLE t[3];
    (void)driver;
    for (i = 0; i < path->Length / 2 && i < 255; i++)
        key[i] = path->Buffer[i];
    key[i] = 0;
    for (i = 0; key[i]; i++)
        params[i] = key[i];
    for (int j = 0; sub[j]; j++)
        params[i++] = sub[j];
    params[i] = 0;

    CHECK(RtlWriteRegistryValue(0, key, L"Num", REG_DWORD, &num, 4) == 0, "write Num");
    CHECK(RtlWriteRegistryValue(0, key, L"Str", REG_SZ, (PVOID)hello, sizeof hello) == 0, "write Str");
    CHECK(RtlWriteRegistryValue(0, key, L"Multi", REG_MULTI_SZ, (PVOID)multi, sizeof multi) == 0, "write Multi");
    CHECK(RtlWriteRegistryValue(0, key, L"Bin", REG_BINARY, bin, 8) == 0, "write Bin");

    /* DIRECT: a DWORD, a string into a NULL buffer (allocated) and into the caller's buffer. */
    t[0] = (QUERY_TABLE){NULL, DIRECT, L"Num", &out, REG_NONE, NULL, 0};
    t[1] = (QUERY_TABLE){NULL, DIRECT, L"Str", &str, REG_NONE, NULL, 0};
    t[2] = (QUERY_TABLE){0};
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0 && out == 0x1234, "DIRECT REG_DWORD");
    CHECK(str.Buffer && str.Length == 10 && str.MaximumLength == 12 && same(str.Buffer, hello, 6), "DIRECT REG_SZ into a NULL buffer");
    RtlFreeUnicodeString(&str);
    t[1] = (QUERY_TABLE){0};
    t[0] = (QUERY_TABLE){NULL, DIRECT, L"Str", &fixed, REG_NONE, NULL, 0};
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0 && fixed.Buffer == buf && fixed.Length == 10 && same(buf, hello, 6), "DIRECT REG_SZ into the caller's buffer");
    t[0].EntryContext = &tiny;
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0xC0000023, "DIRECT REG_SZ: STATUS_BUFFER_TOO_SMALL");
    /* Larger than a ULONG: a negative LONG is the data's room; a positive one frames it. */
    t[0] = (QUERY_TABLE){NULL, DIRECT, L"Bin", big, REG_NONE, NULL, 0};
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0 && big[0] == 0x11223344 && big[1] == 0x55667788, "DIRECT REG_BINARY, negative size");
    t[0].EntryContext = framed;
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0 && framed[0] == 8 && framed[1] == REG_BINARY && framed[2] == 0x11223344, "DIRECT REG_BINARY, framed");

    /* A missing value: its default, nothing, or STATUS_OBJECT_NAME_NOT_FOUND when REQUIRED. */
    out = 0;
    t[0] = (QUERY_TABLE){NULL, DIRECT, L"Missing", &out, REG_DWORD, &def, 4};
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0 && out == 77, "default value");
    t[0].DefaultType = REG_NONE;
    out = 5;
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0 && out == 5, "no default: left alone");
    t[0].Flags = DIRECT | REQUIRED;
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0xC0000034, "REQUIRED: STATUS_OBJECT_NAME_NOT_FOUND");
    CHECK(RtlQueryRegistryValues(0, L"\\Registry\\Machine\\System\\NoSuchKey", t, NULL, NULL) == 0xC0000034, "missing key");

    /* Callbacks: REG_MULTI_SZ string by string (whole with NOEXPAND), NOVALUE, every value. */
    t[0] = (QUERY_TABLE){record, 0, L"Multi", &s, REG_NONE, NULL, 0};
    CHECK(RtlQueryRegistryValues(0, key, t, &ctx, NULL) == 0 && s.calls == 2 && s.types[0] == REG_SZ && s.lengths[0] == 4 && s.lengths[1] == 6 && s.total == 2, "callback per REG_MULTI_SZ string");
    s = (struct seen){0};
    t[0].Flags = NOEXPAND;
    CHECK(RtlQueryRegistryValues(0, key, t, &ctx, NULL) == 0 && s.calls == 1 && s.types[0] == REG_MULTI_SZ && s.lengths[0] == sizeof multi, "NOEXPAND: the whole REG_MULTI_SZ");
    s = (struct seen){0};
    t[0] = (QUERY_TABLE){record, NOVALUE, NULL, &s, REG_NONE, NULL, 0};
    CHECK(RtlQueryRegistryValues(0, key, t, &ctx, NULL) == 0 && s.calls == 1 && s.nulls == 1 && s.types[0] == REG_NONE, "NOVALUE");
    s = (struct seen){0};
    t[0] = (QUERY_TABLE){record, 0, NULL, &s, REG_NONE, NULL, 0};
    CHECK(RtlQueryRegistryValues(0, key, t, &ctx, NULL) == 0 && s.calls >= 5 && s.nulls == 0, "every value of the key");
    t[0] = (QUERY_TABLE){refuse, 0, L"Num", &refused, REG_NONE, NULL, 0};
    t[1] = (QUERY_TABLE){refuse, 0, L"Str", &refused, REG_NONE, NULL, 0};
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0xC0000001 && refused == 1, "a failing callback ends the query");

    /* SUBKEY: the entries after it are for that key. */
    CHECK(RtlWriteRegistryValue(0, params, L"Depth", REG_DWORD, &def, 4) == 0xC0000034, "RtlWriteRegistryValue does not create keys");
    t[0] = (QUERY_TABLE){NULL, SUBKEY, L"NoSuchSubkey", NULL, REG_NONE, NULL, 0};
    t[1] = (QUERY_TABLE){0};
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0xC0000034, "SUBKEY that does not exist");

    /* DELETE: the value is gone after it was read. */
    out = 0;
    t[0] = (QUERY_TABLE){NULL, DIRECT | DELETE, L"Num", &out, REG_NONE, NULL, 0};
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0 && out == 0x1234, "DELETE reads the value");
    t[0].Flags = DIRECT | REQUIRED;
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0xC0000034, "DELETE removed it");
    /* REG_EXPAND_SZ: expanded against the Environment argument unless NOEXPAND, and handed on as
     * REG_SZ; an unknown variable and a lone '%' stay as written. */
    {
        static const WCHAR raw[] = L"%systemroot%\\drv %Unknown% 100%", plain[] = L"no variables";
        static const WCHAR env[] = L"=C:=C:\\\0SystemRoot=C:\\WINNT35\0Other=x\0";
        static const WCHAR want[] = L"C:\\WINNT35\\drv %Unknown% 100%", root[] = L"%SystemRoot%";
        static WCHAR exp[64];
        UNICODE_STRING e = {0, sizeof exp, exp};
        struct got g = {0};
        CHECK(RtlWriteRegistryValue(0, key, L"Where", REG_EXPAND_SZ, (PVOID)raw, sizeof raw) == 0, "write Where");
        CHECK(RtlWriteRegistryValue(0, key, L"Plain", REG_EXPAND_SZ, (PVOID)plain, sizeof plain) == 0, "write Plain");
        t[0] = (QUERY_TABLE){NULL, DIRECT, L"Where", &e, REG_NONE, NULL, 0};
        t[1] = (QUERY_TABLE){0};
        CHECK(RtlQueryRegistryValues(0, key, t, NULL, (PVOID)env) == 0 && e.Length == sizeof want - 2 && same(exp, want, sizeof want / 2), "DIRECT REG_EXPAND_SZ expanded");
        t[0].Flags = DIRECT | NOEXPAND;
        CHECK(RtlQueryRegistryValues(0, key, t, NULL, (PVOID)env) == 0 && e.Length == sizeof raw - 2 && same(exp, raw, sizeof raw / 2), "DIRECT NOEXPAND: as stored");
        t[0] = (QUERY_TABLE){keep, 0, L"Where", &g, REG_NONE, NULL, 0};
        CHECK(RtlQueryRegistryValues(0, key, t, NULL, (PVOID)env) == 0 && g.type == REG_SZ && g.length == sizeof want && same(g.text, want, sizeof want / 2), "callback: expanded, REG_SZ");
        t[0].Flags = NOEXPAND;
        CHECK(RtlQueryRegistryValues(0, key, t, NULL, (PVOID)env) == 0 && g.type == REG_EXPAND_SZ && g.length == sizeof raw, "callback NOEXPAND: REG_EXPAND_SZ as stored");
        /* No Environment: the system process has none, so nothing expands, but the value is prepared. */
        t[0].Flags = 0;
        CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0 && g.type == REG_SZ && g.length == sizeof raw && same(g.text, raw, sizeof raw / 2), "no environment: text kept, REG_SZ");
        t[0].Name = L"Plain";
        CHECK(RtlQueryRegistryValues(0, key, t, NULL, (PVOID)env) == 0 && g.type == REG_EXPAND_SZ && g.length == sizeof plain, "no '%': REG_EXPAND_SZ as stored");
        /* A REG_EXPAND_SZ default is expanded too. */
        t[0] = (QUERY_TABLE){NULL, DIRECT, L"Absent", &e, REG_EXPAND_SZ, (PVOID)root, 0};
        CHECK(RtlQueryRegistryValues(0, key, t, NULL, (PVOID)env) == 0 && e.Length == 20 && same(exp, L"C:\\WINNT35", 11), "REG_EXPAND_SZ default expanded");
    }
    /* DIRECT with a routine is refused. */
    t[0] = (QUERY_TABLE){record, DIRECT, L"Str", &s, REG_NONE, NULL, 0};
    CHECK(RtlQueryRegistryValues(0, key, t, NULL, NULL) == 0xC000000D, "DIRECT with a routine: STATUS_INVALID_PARAMETER");

    DbgPrint("registry: %d passed, %d failed\n", passed, failed);
    return failed ? 0xC0000001 : 0;
}
