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
; Build: nasm -f bin -DEND_MB=100 -DSPIN=0 -o dirty.bin dirty.asm
%ifndef END_MB
%define END_MB 100
%endif
%ifndef SPIN
%define SPIN 0
%endif
bits 16
org 0x7c00
start:
    cli
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
sweep:
    mov esi, 0x100000
.page:
    inc byte [esi]
%if SPIN > 0
    mov ecx, SPIN
.spin:
    dec ecx
    jnz .spin
%endif
    add esi, 4096
    cmp esi, END_MB * 0x100000
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
