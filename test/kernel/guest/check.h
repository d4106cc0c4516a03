/* The guest tests' checks: CHECK counts a passed condition, or prints "FAIL <line>: <what>" through
 * DbgPrint (which the including file declares) and counts a failure; each test ends by printing
 * "<name>: <passed> passed, <failed> failed", which test/kernel/surface.test.ts and seh.test.ts read. */
static int passed, failed;
#define CHECK(cond, what)                              \
    do {                                               \
        if (cond)                                      \
            passed++;                                  \
        else {                                         \
            failed++;                                  \
            DbgPrint("FAIL %d: %s\n", __LINE__, what); \
        }                                              \
    } while (0)
