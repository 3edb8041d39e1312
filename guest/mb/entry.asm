; The entry of a Multiboot (v1) test kernel, as `qemu -kernel` and the
; sealvisor VMM start it (guest/mb/README in mb.h): 32-bit protected mode,
; paging off, EAX = 0x2badb002, EBX = the boot information. It records
; what it was given, switches to long mode with the first 4 GiB identity
; mapped (2 MiB pages: RAM, the local APIC and I/O APIC pages), and calls
; mb_main(info, magic, entry state). An a.out-kludge header: the image is
; an ELF64 file, which QEMU's loader takes only that way. Assembled with
; -DMB_ELF32 the header leaves bit 16 clear, for a kernel the Makefile
; turns into an ELF32 file, which loaders place by its program headers.
MB_MAGIC        equ 0x1badb002
%ifdef MB_ELF32
MB_FLAGS        equ (1 << 1)                  ; memory information
%else
MB_FLAGS        equ (1 << 1) | (1 << 16)      ; memory information; load addresses below
%endif
STACK_SIZE      equ 16384

extern mb_main, _load_start, _load_end, _bss_end
global mb_entry32, mb_entry_state, mb_gdt_code64

section .multiboot
align 4
mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd mb_header                ; header_addr
	dd _load_start              ; load_addr
	dd _load_end                ; load_end_addr
	dd _bss_end                 ; bss_end_addr
	dd mb_entry32               ; entry_addr

section .text
bits 32
mb_entry32:
	; The entry state, before anything changes it (struct mb_entry_state).
	mov [mb_entry_state + 0], eax
	mov [mb_entry_state + 4], ebx
	mov eax, cr0
	mov [mb_entry_state + 8], eax
	mov esp, stack_top           ; ESP is undefined at entry (3.2)
	pushfd
	pop eax
	mov [mb_entry_state + 12], eax
	mov ax, cs
	mov [mb_entry_state + 16], ax
	mov ax, ds
	mov [mb_entry_state + 18], ax
	mov ax, ss
	mov [mb_entry_state + 20], ax
	mov eax, cr4
	mov [mb_entry_state + 24], eax

	; PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages.
	mov dword [pml4], pdpt + 3
	mov ecx, 0
.pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, pd
	or eax, 3
	mov [pdpt + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jne .pdpt
	mov ecx, 0
.pd:
	mov eax, ecx
	shl eax, 21
	or eax, 0x83                ; present, writable, 2 MiB
	mov [pd + ecx * 8], eax
	mov eax, ecx
	shr eax, 11                 ; bits 32+ of the address (i * 2 MiB)
	mov [pd + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 2048
	jne .pd

	mov eax, cr4
	or eax, (1 << 5) | (1 << 9) | (1 << 10)   ; PAE, OSFXSR, OSXMMEXCPT
	mov cr4, eax
	mov eax, pml4
	mov cr3, eax
	mov ecx, 0xc0000080          ; EFER
	rdmsr
	or eax, 1 << 8               ; LME
	wrmsr
	mov eax, cr0
	and eax, ~(1 << 2)           ; EM off: SSE is used
	or eax, (1 << 31) | (1 << 1) ; PG, MP
	mov cr0, eax
	lgdt [gdt_ptr]
	jmp 0x08:long_mode

bits 64
long_mode:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, stack_top
	lea rdi, [rel mb_entry_state]
	call mb_main
	; mb_main does not return; if it does, report 0x7f and stop.
	mov al, 0x7f
	out 0xf4, al
.stop:
	cli
	hlt
	jmp .stop

section .data
align 16
gdt:
	dq 0
mb_gdt_code64:
	dq 0x00af9a000000ffff        ; 0x08: 64-bit code
	dq 0x00cf92000000ffff        ; 0x10: data
gdt_ptr:
	dw gdt_ptr - gdt - 1
	dq gdt
align 8
mb_entry_state:
	times 32 db 0

section .bss
align 4096
pml4:   resb 4096
pdpt:   resb 4096
pd:     resb 4 * 4096
stack:  resb STACK_SIZE
stack_top:
