/* A driver that writes an I/O error-log entry from DriverEntry, under --kernel registry: a named
 * device, a packet with an error code, dump data and one insertion string (test/kernel/errorlog.test.ts). */
typedef unsigned char UCHAR;
typedef unsigned short USHORT, WCHAR;
typedef unsigned long ULONG;
typedef long NTSTATUS;
typedef void *PVOID;
#define NTAPI __stdcall
typedef struct { USHORT Length, MaximumLength; WCHAR *Buffer; } UNICODE_STRING;
typedef struct {
    UCHAR MajorFunctionCode, RetryCount;
    USHORT DumpDataSize, NumberOfStrings, StringOffset, EventCategory;
    NTSTATUS ErrorCode;
    ULONG UniqueErrorValue;
    NTSTATUS FinalStatus;
    ULONG SequenceNumber, IoControlCode;
    ULONG DeviceOffset[2];
    ULONG DumpData[1];
} IO_ERROR_LOG_PACKET;

void NTAPI RtlInitUnicodeString(UNICODE_STRING *, const WCHAR *);
NTSTATUS NTAPI IoCreateDevice(PVOID, ULONG, UNICODE_STRING *, ULONG, ULONG, UCHAR, PVOID *);
PVOID NTAPI IoAllocateErrorLogEntry(PVOID, UCHAR);
void NTAPI IoWriteErrorLogEntry(PVOID);

NTSTATUS NTAPI DriverEntry(PVOID driver, PVOID path)
{
    UNICODE_STRING name;
    PVOID device = 0;
    IO_ERROR_LOG_PACKET *p;
    static const WCHAR port[] = L"COM3";
    NTSTATUS s;
    unsigned i;
    (void)path;
    RtlInitUnicodeString(&name, L"\\Device\\ErrLog0");
    s = IoCreateDevice(driver, 0, &name, 0x22, 0, 0, &device);
    if (s < 0) return s;
    p = IoAllocateErrorLogEntry(device, sizeof *p + 4 + sizeof port);
    if (!p) return 0xC000009A;
    p->MajorFunctionCode = 3;
    p->ErrorCode = 0xC0040006;
    p->UniqueErrorValue = 0x77;
    p->FinalStatus = 0xC0000185;
    p->EventCategory = 2;
    p->DumpDataSize = 8;
    p->DumpData[0] = 0x11111111;
    p->DumpData[1] = 0x22222222;
    p->NumberOfStrings = 1;
    p->StringOffset = sizeof *p + 4;
    for (i = 0; i < sizeof port / 2; i++) ((WCHAR *)((UCHAR *)p + p->StringOffset))[i] = port[i];
    IoWriteErrorLogEntry(p);
    return 0;
}
