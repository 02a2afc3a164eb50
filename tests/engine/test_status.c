#include <string.h>

#include "nt/status.h"
#include "nt_test.h"

int main(void)
{
    NT_CHECK(strcmp(nt_status_name(NT_OK), "ok") == 0);
    NT_CHECK(strcmp(nt_status_name(NT_ERR_CRC), "crc") == 0);
    /* Every named status has a distinct name; an unnamed value maps to "unknown". */
    for (int a = NT_OK; a <= NT_ERR_FAULT; ++a) {
        NT_CHECK(strcmp(nt_status_name((nt_status)a), "unknown") != 0);
        for (int b = a + 1; b <= NT_ERR_FAULT; ++b) {
            NT_CHECK(strcmp(nt_status_name((nt_status)a), nt_status_name((nt_status)b)) != 0);
        }
    }
    NT_CHECK(strcmp(nt_status_name((nt_status)1000), "unknown") == 0);
    return 0;
}
