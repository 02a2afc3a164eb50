#include "nt_board.h"

#define SEMIHOST_SYS_OPEN 0x01u
#define SEMIHOST_SYS_CLOSE 0x02u
#define SEMIHOST_SYS_WRITE 0x05u
#define SEMIHOST_SYS_READ 0x06u
#define SEMIHOST_SYS_SEEK 0x0Au
#define SEMIHOST_SYS_FLEN 0x0Cu
#define SEMIHOST_SYS_EXIT_EXTENDED 0x20u
#define SEMIHOST_MODE_READ_BINARY 1u
#define SEMIHOST_MODE_UPDATE_BINARY 3u /* "r+b" */
#define SEMIHOST_MODE_WRITE_BINARY 5u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

#if defined(__riscv)
/* RISC-V semihosting: the trap sequence lives in riscv/semihost.S, aligned as QEMU needs it. */
uint32_t nt_semihost_trap(uint32_t op, const void *arg);

static inline uint32_t semihost_call(uint32_t op, const void *arg) { return nt_semihost_trap(op, arg); }
#else
static inline uint32_t semihost_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
#endif

static uint32_t name_length(const char *name)
{
    uint32_t n = 0;
    while (name[n] != '\0') {
        ++n;
    }
    return n;
}

int32_t nt_host_file_read(const char *name, void *buffer, uint32_t capacity)
{
    const uint32_t open_args[3] = { (uint32_t)(uintptr_t)name, SEMIHOST_MODE_READ_BINARY, name_length(name) };
    const int32_t handle = (int32_t)semihost_call(SEMIHOST_SYS_OPEN, open_args);
    if (handle < 0) {
        return -1;
    }
    const uint32_t flen_args[1] = { (uint32_t)handle };
    const int32_t length = (int32_t)semihost_call(SEMIHOST_SYS_FLEN, flen_args);
    int32_t result = -1;
    if (length >= 0 && (uint32_t)length <= capacity) {
        const uint32_t read_args[3] = { (uint32_t)handle, (uint32_t)(uintptr_t)buffer, (uint32_t)length };
        /* SYS_READ returns the number of bytes NOT read. */
        result = semihost_call(SEMIHOST_SYS_READ, read_args) == 0u ? length : -1;
    }
    semihost_call(SEMIHOST_SYS_CLOSE, flen_args);
    return result;
}

int32_t nt_host_file_write(const char *name, const void *data, uint32_t len)
{
    const uint32_t open_args[3] = { (uint32_t)(uintptr_t)name, SEMIHOST_MODE_WRITE_BINARY, name_length(name) };
    const int32_t handle = (int32_t)semihost_call(SEMIHOST_SYS_OPEN, open_args);
    if (handle < 0) {
        return -1;
    }
    const uint32_t write_args[3] = { (uint32_t)handle, (uint32_t)(uintptr_t)data, len };
    const uint32_t left = semihost_call(SEMIHOST_SYS_WRITE, write_args);
    const uint32_t close_args[1] = { (uint32_t)handle };
    semihost_call(SEMIHOST_SYS_CLOSE, close_args);
    return left == 0u ? 0 : -1;
}

static int32_t open_file(const char *name, uint32_t mode)
{
    const uint32_t open_args[3] = { (uint32_t)(uintptr_t)name, mode, name_length(name) };
    return (int32_t)semihost_call(SEMIHOST_SYS_OPEN, open_args);
}

static void close_file(int32_t handle)
{
    const uint32_t args[1] = { (uint32_t)handle };
    semihost_call(SEMIHOST_SYS_CLOSE, args);
}

int32_t nt_host_file_read_at(const char *name, uint32_t offset, void *buffer, uint32_t len)
{
    const int32_t handle = open_file(name, SEMIHOST_MODE_READ_BINARY);
    if (handle < 0) {
        return -1;
    }
    const uint32_t flen_args[1] = { (uint32_t)handle };
    const int32_t length = (int32_t)semihost_call(SEMIHOST_SYS_FLEN, flen_args);
    int32_t result = -1;
    if (length >= 0 && (uint64_t)offset + len <= (uint32_t)length) {
        const uint32_t seek_args[2] = { (uint32_t)handle, offset };
        const uint32_t read_args[3] = { (uint32_t)handle, (uint32_t)(uintptr_t)buffer, len };
        if (semihost_call(SEMIHOST_SYS_SEEK, seek_args) == 0u && semihost_call(SEMIHOST_SYS_READ, read_args) == 0u) {
            result = 0;
        }
    }
    close_file(handle);
    return result;
}

int32_t nt_host_file_write_at(const char *name, uint32_t offset, const void *data, uint32_t len)
{
    int32_t handle = open_file(name, SEMIHOST_MODE_UPDATE_BINARY);
    if (handle < 0) {
        /* "r+b" needs the file to exist: create it empty first. */
        handle = open_file(name, SEMIHOST_MODE_WRITE_BINARY);
        if (handle < 0) {
            return -1;
        }
        close_file(handle);
        handle = open_file(name, SEMIHOST_MODE_UPDATE_BINARY);
        if (handle < 0) {
            return -1;
        }
    }
    const uint32_t seek_args[2] = { (uint32_t)handle, offset };
    const uint32_t write_args[3] = { (uint32_t)handle, (uint32_t)(uintptr_t)data, len };
    const int32_t result = semihost_call(SEMIHOST_SYS_SEEK, seek_args) == 0u && semihost_call(SEMIHOST_SYS_WRITE, write_args) == 0u ? 0 : -1;
    close_file(handle);
    return result;
}

void nt_board_exit(int status)
{
    /* SYS_EXIT_EXTENDED carries the status itself; QEMU exits with it. */
    const uint32_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status };
    semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, block);
    for (;;) {
#if defined(__riscv)
        __asm__ volatile("ebreak");
#else
        __asm__ volatile("bkpt 0");
#endif
    }
}
