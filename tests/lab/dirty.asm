; A guest that dirties memory, for the lab's convergence tests (lab.md):
; a 512-byte boot sector that enters 32-bit protected mode and, forever,
; increments the first byte of every 4 KiB page from 1 MiB up to END_MB MiB.
; Every page holds a counter swept in order, so a consistent snapshot of
; that range has all counters equal to v or v+1 (mod 256), with one
; boundary: the checkable pattern that proves no page was lost or stale.
; SPIN > 0 busy-waits that many loop turns after each page, capping the
; dirty rate in proportion to the CPU the guest gets, which is what
; auto-converge's throttle takes away (at full speed the sweep is so fast
; that even a 99 % throttle leaves it re-dirtying the whole range).
; RANDOM = 1 also fills bytes 4..4095 of each page, after its counter, with
; pseudo-random data that changes on every sweep: nothing of a page's
; previous copy survives (XBZRLE's delta finds no unchanged runs; with
; RANDOM = 0 one byte changes, its best case) and the data does not
; compress. Bytes 1..3 stay 0. Filling 4 KiB costs ~1000 times the work of
; one increment, and this lab's KVM runs the guest slowly (README), so the
; fill is a single `rep movsd` per page from a pool made once at boot:
;   pool: 65536 dwords at 0x10000, x0 = 0x9E3779B9, then xorshift32
;         (x ^= x << 13; x ^= x >> 17; x ^= x << 5), each x stored;
;   page at address A with (new) counter c: the 1023 pool dwords from
;         (c * 104729 + (A >> 12) * 7919) mod 64513.
; Consecutive counters move the slice by 104729 mod 64513 dwords, so a page
; never gets its old content back shifted in place; lab.sh vm pattern
; recomputes every page's fill.
; Build: nasm -f bin -DEND_MB=100 -DSPIN=0 -DRANDOM=0 -o dirty.bin dirty.asm
%ifndef END_MB
%define END_MB 100
%endif
%ifndef SPIN
%define SPIN 0
%endif
%ifndef RANDOM
%define RANDOM 0
%endif
%define POOL 0x10000       ; conventional memory, unused once the BIOS is gone
%define POOL_DW 65536
%define SLICES (POOL_DW - 1023)
bits 16
org 0x7c00
start:
    cli
    cld                    ; string instructions count upwards
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    in al, 0x92            ; fast A20: addresses above 1 MiB must not wrap
    or al, 2
    and al, 0xfe
    out 0x92, al
    lgdt [gdt_desc]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp 0x08:pmode
bits 32
pmode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x7c00
%if RANDOM
    mov edi, POOL          ; the pool of pseudo-random dwords (see above)
    mov eax, 0x9E3779B9
    mov ecx, POOL_DW
.gen:
    mov edx, eax
    shl edx, 13
    xor eax, edx
    mov edx, eax
    shr edx, 17
    xor eax, edx
    mov edx, eax
    shl edx, 5
    xor eax, edx
    stosd
    dec ecx
    jnz .gen
%endif
sweep:
    mov ebx, 0x100000
.page:
    inc byte [ebx]
%if RANDOM
    movzx eax, byte [ebx]  ; slice = (c * 104729 + page * 7919) mod SLICES
    imul eax, eax, 104729
    mov edx, ebx
    shr edx, 12
    imul edx, edx, 7919    ; no overflow below 2 GiB (lab guests: 256 MiB at most)
    add eax, edx
    xor edx, edx
    mov ecx, SLICES
    div ecx
    lea esi, [POOL + edx * 4]
    lea edi, [ebx + 4]
    mov ecx, 1023
    rep movsd
%endif
%if SPIN > 0
    mov ecx, SPIN
.spin:
    dec ecx
    jnz .spin
%endif
    add ebx, 4096
    cmp ebx, END_MB * 0x100000
    jb .page
    jmp sweep
align 8
gdt:
    dq 0                       ; null
    dq 0x00cf9a000000ffff      ; code: base 0, limit 4 GiB, 32-bit
    dq 0x00cf92000000ffff      ; data: base 0, limit 4 GiB
gdt_desc:
    dw gdt_desc - gdt - 1
    dd gdt
times 510 - ($ - $$) db 0
dw 0xaa55
