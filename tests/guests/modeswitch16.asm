; modeswitch16: started in real mode (SV_START_16), it enters 32-bit
; protected mode itself (its own GDT, CR0.PE, a far jump), then runs the
; modeswitch body (tests/guests/modeswitch.inc): paging, PAE, long mode
; and back.
%include "sv-note.inc"
SV_NOTE_U32 3, 16          ; SV_NOTE_START_MODE: SV_START_16
%define NAME "modeswitch16"

bits 16
section .text.start
global _start
_start:
	cli
	mov si, fail_real
	mov eax, cr0
	test al, 1
	jnz fail16
	lgdt [gdt_ptr]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp dword 0x08:entered

fail16:
	mov dx, 0x3f8
.next:	lodsb
	test al, al
	jz .done
	out dx, al
	jmp .next
.done:	mov al, 1
	out 0xf4, al
	hlt

bits 32
entered:
	mov esi, fail_pe
	mov eax, cr0
	test al, 1
	jz fail
	mov esi, ok_pe
	call puts
	jmp pm32

fail_real:  db NAME, ": FAIL CR0.PE set at a real-mode start", 10, 0
fail_pe:    db NAME, ": FAIL CR0.PE not set after MOV to CR0", 10, 0
ok_pe:      db NAME, ": real mode -> 32-bit protected mode by CR0.PE and a far jump", 10, 0

%include "modeswitch.inc"
