/* The learned-weight slots of a real STM32F405: flash sectors 10 and 11 (128 KB each, 0x080C0000 and
 * 0x080E0000), written through the flash interface (RM0090 section 3). Linked into the trainer-flash image,
 * whose plan slot ends where these sectors begin. Not exercised under QEMU: netduinoplus2 has no flash
 * interface model and its flash is read-only there; emulated runs use the semihosted store. */
#include <string.h>

#include "nt/slots.h"
#include "nt_board.h"

#define FLASH_KEYR (*(volatile uint32_t *)0x40023C04u)
#define FLASH_SR (*(volatile uint32_t *)0x40023C0Cu)
#define FLASH_CR (*(volatile uint32_t *)0x40023C10u)

#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define SR_BSY (1u << 16)
#define SR_ERRORS 0xF2u /* OPERR, WRPERR, PGAERR, PGPERR, PGSERR */
#define CR_PG (1u << 0)
#define CR_SER (1u << 1)
#define CR_SNB_SHIFT 3u
#define CR_PSIZE_X8 (0u << 8)
#define CR_PSIZE_X32 (2u << 8)
#define CR_STRT (1u << 16)
#define CR_LOCK (1u << 31)

#define SLOT_BASE 0x080C0000u
#define SLOT_BYTES 0x20000u
#define FIRST_SECTOR 10u

static void wait_idle(void)
{
    while (FLASH_SR & SR_BSY) {
    }
}

static void unlock(void)
{
    if (FLASH_CR & CR_LOCK) {
        FLASH_KEYR = KEY1;
        FLASH_KEYR = KEY2;
    }
}

static nt_status finish(void)
{
    wait_idle();
    const uint32_t errors = FLASH_SR & SR_ERRORS;
    FLASH_SR = SR_ERRORS; /* the error flags clear by writing 1 */
    FLASH_CR = CR_LOCK;
    return errors == 0u ? NT_OK : NT_ERR_STORAGE;
}

static nt_status flash_erase(void *ctx, uint32_t slot)
{
    (void)ctx;
    if (slot >= NT_SLOT_COUNT) {
        return NT_ERR_STORAGE;
    }
    wait_idle();
    unlock();
    FLASH_SR = SR_ERRORS;
    FLASH_CR = CR_SER | ((FIRST_SECTOR + slot) << CR_SNB_SHIFT) | CR_PSIZE_X32;
    FLASH_CR |= CR_STRT;
    return finish();
}

static nt_status flash_write(void *ctx, uint32_t offset, const void *buf, uint32_t len)
{
    (void)ctx;
    if (offset > NT_SLOT_COUNT * SLOT_BYTES || len > NT_SLOT_COUNT * SLOT_BYTES - offset) {
        return NT_ERR_STORAGE;
    }
    wait_idle();
    unlock();
    FLASH_SR = SR_ERRORS;
    /* Byte programming: any alignment, any supply voltage. */
    FLASH_CR = CR_PG | CR_PSIZE_X8;
    const uint8_t *src = (const uint8_t *)buf;
    volatile uint8_t *dst = (volatile uint8_t *)(SLOT_BASE + offset);
    for (uint32_t i = 0; i < len; ++i) {
        dst[i] = src[i];
        wait_idle();
        if (FLASH_SR & SR_ERRORS) {
            break;
        }
    }
    const nt_status st = finish();
    /* Flash only clears bits: a write over bytes not erased first reads back wrong. */
    return st == NT_OK && memcmp((const void *)(SLOT_BASE + offset), buf, len) == 0 ? NT_OK : NT_ERR_STORAGE;
}

static nt_status flash_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    (void)ctx;
    if (offset > NT_SLOT_COUNT * SLOT_BYTES || len > NT_SLOT_COUNT * SLOT_BYTES - offset) {
        return NT_ERR_STORAGE;
    }
    memcpy(buf, (const void *)(SLOT_BASE + offset), len);
    return NT_OK;
}

static const nt_slot_store_t store = { NULL, SLOT_BYTES, flash_read, flash_write, flash_erase };

const nt_slot_store_t *nt_board_slot_store(void)
{
    return &store;
}
