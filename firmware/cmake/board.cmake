# Reads firmware/boards/<NT_BOARD>/board.json, the one description of a board, and turns it into
# compiler flags, a C header and the linker script's MEMORY regions.

set(NT_BOARD_JSON "${NT_FIRMWARE_DIR}/boards/${NT_BOARD}/board.json")
if(NOT EXISTS "${NT_BOARD_JSON}")
    message(FATAL_ERROR "unknown board '${NT_BOARD}': ${NT_BOARD_JSON} does not exist")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${NT_BOARD_JSON}")
file(READ "${NT_BOARD_JSON}" _json)

string(JSON _id GET "${_json}" id)
if(NOT _id STREQUAL NT_BOARD)
    message(FATAL_ERROR "${NT_BOARD_JSON}: field 'id' is '${_id}', expected '${NT_BOARD}'")
endif()
string(JSON NT_BOARD_CORE GET "${_json}" core)
string(JSON NT_BOARD_FPU GET "${_json}" fpu)
string(JSON NT_BOARD_ISA GET "${_json}" isa)
string(JSON _clock GET "${_json}" clockHz)
string(JSON _uart_kind GET "${_json}" uart kind)
string(JSON _uart_base GET "${_json}" uart base)
string(JSON _ipt_num GET "${_json}" emulator instructionsPerTick num)
string(JSON _ipt_den GET "${_json}" emulator instructionsPerTick den)
string(JSON _stack_bank GET "${_json}" stack bank)
string(JSON _stack_size GET "${_json}" stack size)
string(JSON _flash_base GET "${_json}" flash base)
string(JSON _flash_size GET "${_json}" flash size)
string(JSON _flash_name GET "${_json}" flash name)
# Flash kept for learned-weight slots by an image with a flash store (0: the slots live elsewhere).
string(JSON NT_BOARD_WEIGHT_FLASH_BYTES ERROR_VARIABLE _no_weight_flash GET "${_json}" flash weightSlotsBytes)
if(_no_weight_flash)
    set(NT_BOARD_WEIGHT_FLASH_BYTES 0)
endif()

set(NT_BOARD_GEN_DIR "${CMAKE_BINARY_DIR}/board")
file(MAKE_DIRECTORY "${NT_BOARD_GEN_DIR}")

string(JSON _bank_count LENGTH "${_json}" banks)
math(EXPR _last "${_bank_count} - 1")
set(_memory "MEMORY\n{\n    ${_flash_name} (rx) : ORIGIN = ${_flash_base}, LENGTH = ${_flash_size}\n")
set(_sections "")
set(_banks_init "")
set(_arenas_extern "")
set(_arenas_init "")
set(_stack_found FALSE)
set(_largest_name "")
set(_largest_size 0)
foreach(i RANGE ${_last})
    string(JSON _name GET "${_json}" banks ${i} name)
    string(JSON _base GET "${_json}" banks ${i} base)
    string(JSON _size GET "${_json}" banks ${i} size)
    string(APPEND _memory "    ${_name} (rwx) : ORIGIN = ${_base}, LENGTH = ${_size}\n")
    string(APPEND _sections "    .nt_bank.${_name} (NOLOAD) : { . = ALIGN(16); __nt_bank_${_name}_start = .; KEEP(*(.nt_bank.${_name} .nt_bank.${_name}.*)) . = ALIGN(16); __nt_bank_${_name}_end = .; } > ${_name}\n    __nt_bank_${_name}_limit = ORIGIN(${_name}) + LENGTH(${_name});\n")
    string(APPEND _arenas_extern "extern uint8_t __nt_bank_${_name}_end[];\nextern uint8_t __nt_bank_${_name}_limit[];\n")
    string(APPEND _arenas_init "    { \"${_name}\", __nt_bank_${_name}_end, __nt_bank_${_name}_limit },\n")
    string(APPEND _banks_init "{ \"${_name}\", ${_base}u, ${_size}u }, ")
    if(_name STREQUAL _stack_bank)
        set(_stack_found TRUE)
    endif()
    if(_size GREATER _largest_size)
        set(_largest_name "${_name}")
        set(_largest_size ${_size})
    endif()
endforeach()
if(NOT _stack_found)
    message(FATAL_ERROR "${NT_BOARD_JSON}: stack.bank '${_stack_bank}' is not one of the banks")
endif()
# The largest bank's bytes a benchmark app may take whole: all of it, or, when the stack and data live there too (a
# board with one bank), what is left after the stack and 64 KB for the image's own data.
if(_largest_name STREQUAL _stack_bank)
    math(EXPR _largest_work "${_largest_size} - ${_stack_size} - 65536")
else()
    set(_largest_work ${_largest_size})
endif()
string(APPEND _memory "}\n\nREGION_ALIAS(\"RAM_DATA\", ${_stack_bank});\nREGION_ALIAS(\"RAM_STACK\", ${_stack_bank});\n__nt_stack_size = ${_stack_size};\n")
file(CONFIGURE OUTPUT "${NT_BOARD_GEN_DIR}/nt_board_memory.ld" CONTENT "/* Generated from ${NT_BOARD_JSON}; do not edit. */\n${_memory}")
file(CONFIGURE OUTPUT "${NT_BOARD_GEN_DIR}/nt_board_banks.ld" CONTENT "/* Generated from ${NT_BOARD_JSON}; do not edit. */\n${_sections}")
# Each bank's free memory, after whatever the image itself placed there, for the plan's arena spaces.
file(CONFIGURE OUTPUT "${NT_BOARD_GEN_DIR}/nt_board_arenas.c" CONTENT
"/* Generated from ${NT_BOARD_JSON}; do not edit. */
#include \"nt_board.h\"

${_arenas_extern}
const nt_board_arena_t nt_board_arenas[NT_BOARD_BANK_COUNT] = {
${_arenas_init}};
")
set(NT_BOARD_ARENAS_SOURCE "${NT_BOARD_GEN_DIR}/nt_board_arenas.c")

string(TOUPPER "${_uart_kind}" _uart_macro)
string(REPLACE "-" "_" _uart_macro "${_uart_macro}")
file(CONFIGURE OUTPUT "${NT_BOARD_GEN_DIR}/nt_board_config.h" CONTENT
"/* Generated from ${NT_BOARD_JSON}; do not edit. */
#ifndef NT_BOARD_CONFIG_H
#define NT_BOARD_CONFIG_H
#define NT_BOARD_ID \"${NT_BOARD}\"
#define NT_BOARD_CORE \"${NT_BOARD_CORE}\"
#define NT_BOARD_FPU \"${NT_BOARD_FPU}\"
#define NT_BOARD_CLOCK_HZ ${_clock}u
#define NT_BOARD_UART_${_uart_macro} 1
#define NT_BOARD_UART_BASE ${_uart_base}u
#define NT_BOARD_INSN_PER_TICK_NUM ${_ipt_num}u
#define NT_BOARD_INSN_PER_TICK_DEN ${_ipt_den}u
#define NT_BOARD_STACK_SIZE ${_stack_size}u
#define NT_BOARD_BANK_COUNT ${_bank_count}
#define NT_BOARD_BANKS_INIT { ${_banks_init}}
#define NT_BOARD_FLASH_INIT { \"${_flash_name}\", ${_flash_base}u, ${_flash_size}u }
#define NT_BOARD_LARGEST_BANK_SECTION \".nt_bank.${_largest_name}\"
#define NT_BOARD_LARGEST_BANK_BYTES ${_largest_work}u
#endif
")

if(_uart_kind STREQUAL "cmsdk")
    set(NT_BOARD_UART_SOURCE "${NT_FIRMWARE_DIR}/boards/common/uart_cmsdk.c")
elseif(_uart_kind STREQUAL "stm32-usart")
    set(NT_BOARD_UART_SOURCE "${NT_FIRMWARE_DIR}/boards/common/uart_stm32_usart.c")
elseif(_uart_kind STREQUAL "ns16550")
    set(NT_BOARD_UART_SOURCE "${NT_FIRMWARE_DIR}/boards/common/uart_ns16550.c")
elseif(_uart_kind STREQUAL "stm32-usart-v2")
    # STM32F7/H7 register layout; the board's own nt_board_clocks.c brings up its clocks and pins.
    set(NT_BOARD_UART_SOURCE "${NT_FIRMWARE_DIR}/boards/common/uart_stm32_usart_v2.c"
        "${NT_FIRMWARE_DIR}/boards/${NT_BOARD}/nt_board_clocks.c")
else()
    message(FATAL_ERROR "${NT_BOARD_JSON}: uart.kind '${_uart_kind}' is not cmsdk, stm32-usart, stm32-usart-v2 or ns16550")
endif()

if(NT_BOARD_ISA MATCHES "^rv32")
    # RISC-V: the ISA string is the -march; no FPU on the boards here, so the soft-float ABI; picolibc for the C library.
    set(NT_BOARD_ARCH riscv)
    # GCC 12 wants the CSR instructions (the counter, traps) named as an extension, _zicsr, when compiling; the link
    # names the plain ISA, which is what picks picolibc's rv32im multilib.
    set(NT_BOARD_CPU_FLAGS -march=${NT_BOARD_ISA}_zicsr -mabi=ilp32 --specs=picolibc.specs)
    set(NT_BOARD_LINK_FLAGS -march=${NT_BOARD_ISA} -mabi=ilp32 --specs=picolibc.specs)
else()
    set(NT_BOARD_ARCH arm)
    set(NT_BOARD_CPU_FLAGS -mcpu=${NT_BOARD_CORE} -mthumb -mfpu=${NT_BOARD_FPU} -mfloat-abi=hard)
    set(NT_BOARD_LINK_FLAGS ${NT_BOARD_CPU_FLAGS})
endif()
add_compile_options(${NT_BOARD_CPU_FLAGS})
add_link_options(${NT_BOARD_LINK_FLAGS})
