; The second CPU's trampoline (guest/mb/smp.c copies it to MB_AP_TRAMP,
; the SIPI vector's page): real mode -> 32-bit protected mode -> long mode
; on the BSP's page tables, then a call of the C function in ap_entry on
; the stack in ap_stack. Its GDT has entry.asm's layout (0x08 64-bit code,
; 0x10 data) so the shared IDT's gates work here too; 0x18 is the 32-bit
; code of the way up. Addresses are absolute: TRAMP + offset.
TRAMP   equ 0x70000                       ; MB_AP_TRAMP in mb.h
%define AT(x) (TRAMP + (x) - ap_tramp)

global ap_tramp, ap_tramp_end, ap_tramp_cr3, ap_tramp_stack, ap_tramp_entry, ap_tramp_seen

section .rodata
align 16
bits 16
ap_tramp:
	cli
	mov ax, cs
	mov ds, ax
	mov [ap_tramp_seen - ap_tramp], ax        ; struct mb_ap_start: CS
	mov eax, cr0
	mov [ap_tramp_seen - ap_tramp + 2], ax    ; CR0 low word (PE clear)
	lgdt [gdtr - ap_tramp]
	or eax, 1
	mov cr0, eax
	jmp dword 0x18:AT(pm32)
bits 32
pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, (1 << 5) | (1 << 9) | (1 << 10)   ; PAE, OSFXSR, OSXMMEXCPT
	mov cr4, eax
	mov eax, [AT(ap_tramp_cr3)]
	mov cr3, eax
	mov ecx, 0xc0000080                       ; EFER.LME
	rdmsr
	or eax, 1 << 8
	wrmsr
	mov eax, cr0
	and eax, ~(1 << 2)                        ; EM off
	or eax, (1 << 31) | (1 << 1)              ; PG, MP
	mov cr0, eax
	jmp 0x08:AT(lm64)
bits 64
lm64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, [AT(ap_tramp_stack)]
	mov rax, [AT(ap_tramp_entry)]
	call rax
.stop:
	cli
	hlt
	jmp .stop
align 8
gdt:
	dq 0
	dq 0x00af9a000000ffff                     ; 0x08: 64-bit code
	dq 0x00cf92000000ffff                     ; 0x10: data
	dq 0x00cf9a000000ffff                     ; 0x18: 32-bit code
gdtr:
	dw 31
	dd AT(gdt)
align 8
ap_tramp_cr3:   dd 0, 0
ap_tramp_stack: dq 0
ap_tramp_entry: dq 0
ap_tramp_seen:  dd 0
ap_tramp_end:
