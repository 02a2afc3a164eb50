/* The learned-weight slots of an emulated board: a host file reached by semihosting (QEMU's working
 * directory), slot k at offset k * NT_STORE_SLOT_BYTES. It stands for a board's external storage (an
 * SD card or QSPI flash, as OpenMV boards have), so a slot holds what the larger plans train. */
#include "nt/slots.h"
#include "nt_board.h"

#define NT_STORE_FILE "nt_slots.bin"
/* One slot: header and up to 1 MB of trainable tensors. */
#define NT_STORE_SLOT_BYTES 1048576u

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
