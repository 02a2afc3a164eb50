/* The learned-weight slots of an emulated board: a host file reached by semihosting (QEMU's working
 * directory), slot k at offset k * NT_STORE_SLOT_BYTES. */
#include "nt/slots.h"
#include "nt_board.h"

#define NT_STORE_FILE "nt_slots.bin"
/* One slot: header and up to 128 KB of trainable tensors (an STM32F4 flash sector). */
#define NT_STORE_SLOT_BYTES 131072u

static nt_status store_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    (void)ctx;
    return nt_host_file_read_at(NT_STORE_FILE, offset, buf, len) == 0 ? NT_OK : NT_ERR_STORAGE;
}

static nt_status store_write(void *ctx, uint32_t offset, const void *buf, uint32_t len)
{
    (void)ctx;
    return nt_host_file_write_at(NT_STORE_FILE, offset, buf, len) == 0 ? NT_OK : NT_ERR_STORAGE;
}

static const nt_slot_store_t store = { NULL, NT_STORE_SLOT_BYTES, store_read, store_write, NULL };

const nt_slot_store_t *nt_board_slot_store(void)
{
    return &store;
}
