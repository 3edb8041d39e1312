; prot32: a vCPU the demo VMM starts in 32-bit protected mode with paging
; off (SV_START_32, the state in guest/control/layout.h). It checks what it
; starts with: EAX the start magic, EBX its id, CR0.PE set and CR0.PG clear,
; CR4 0, CS 0x08 / SS 0x10, ESP as set; then that addresses are physical
; and segments flat: a word written at 64 MiB (far past any 16-bit or
; 1 MiB reach) reads back. Reports on COM1 and the exit port 0xf4.
%include "sv-note.inc"
SV_NOTE_U32 3, 32          ; SV_NOTE_START_MODE: SV_START_32

bits 32
section .text.start
global _start
_start:
	mov esi, fail_magic
	cmp eax, 0x53560020
	jne fail
	mov esi, fail_id
	test ebx, ebx
	jnz fail
	mov esi, fail_cr0
	mov eax, cr0
	and eax, 0x80000001
	cmp eax, 1
	jne fail
	mov esi, fail_cr4
	mov eax, cr4
	test eax, eax
	jnz fail
	mov esi, fail_sel
	mov ax, cs
	cmp ax, 0x08
	jne fail
	mov ax, ss
	cmp ax, 0x10
	jne fail
	mov esi, fail_sp
	cmp esp, 96 * 1024 * 1024 - 8
	jne fail
	mov esi, fail_mem
	mov dword [64 * 1024 * 1024], 0x5ea10032
	cmp dword [64 * 1024 * 1024], 0x5ea10032
	jne fail
	push dword 0x12345678
	pop eax
	cmp eax, 0x12345678
	jne fail
	; CR0 writes exit and are emulated in 32-bit mode too: TS on, CLTS off.
	mov esi, fail_cr0w
	mov eax, cr0
	or eax, 8
	mov cr0, eax
	mov eax, cr0
	test eax, 8
	jz fail
	clts
	mov eax, cr0
	test eax, 8
	jnz fail
	mov esi, pass_msg
	call puts
	mov al, 0
	out 0xf4, al
	hlt

fail:
	call puts
	mov al, 1
	out 0xf4, al
	hlt

puts:                          ; the NUL-terminated line at ESI
	mov dx, 0x3f8
.next:	lodsb
	test al, al
	jz .done
	out dx, al
	jmp .next
.done:	ret

pass_msg:   db "prot32: started in 32-bit protected mode, paging off, with the registers as set; CR0.TS set and cleared", 10, 0
fail_magic: db "prot32: FAIL EAX is not the start magic", 10, 0
fail_id:    db "prot32: FAIL EBX is not vCPU id 0", 10, 0
fail_cr0:   db "prot32: FAIL CR0.PE clear or CR0.PG set", 10, 0
fail_cr4:   db "prot32: FAIL CR4 is not 0", 10, 0
fail_sel:   db "prot32: FAIL CS is not 0x08 or SS not 0x10", 10, 0
fail_sp:    db "prot32: FAIL ESP is not as set", 10, 0
fail_mem:   db "prot32: FAIL a word at 64 MiB does not read back", 10, 0
fail_cr0w:  db "prot32: FAIL setting CR0.TS with MOV and clearing it with CLTS", 10, 0
