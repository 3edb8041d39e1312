; realmode: a vCPU the demo VMM starts in real mode (SV_START_16, the
; state in guest/control/layout.h). It checks what it starts with: EAX the
; start magic, EBX its id, CR0.PE clear, every segment selector 0, SP as
; set; then that segments really are real-mode ones (a selector loaded into
; ES addresses selector * 16: no descriptor table, no #GP). Reports on COM1
; and through the exit port 0xf4 (0: pass).
%include "sv-note.inc"
SV_NOTE_U32 2, 16

bits 16
section .text.start
global _start
_start:
	mov si, fail_magic
	cmp eax, 0x53560010
	jne fail
	mov si, fail_id
	test ebx, ebx
	jnz fail
	mov si, fail_cr0
	mov eax, cr0
	test al, 1
	jnz fail
	mov si, fail_sel
	mov ax, cs
	mov bx, ds
	or ax, bx
	mov bx, ss
	or ax, bx
	mov bx, es
	or ax, bx
	jnz fail
	mov si, fail_sp
	cmp sp, 0x7000
	jne fail
	; ES = 0x0fff: ES:0x10 is linear 0x10000, which DS (base 0) cannot
	; reach with a 16-bit offset, so the two words must not alias.
	mov si, fail_seg
	mov word [0x0010], 0x1111
	mov ax, 0x0fff
	mov es, ax
	mov word [es:0x0010], 0xbeef
	cmp word [es:0x0010], 0xbeef
	jne fail
	cmp word [0x0010], 0x1111
	jne fail
	push word 0x1234
	pop ax
	cmp ax, 0x1234
	jne fail
	mov si, pass_msg
	call puts
	mov al, 0
	out 0xf4, al
	hlt

fail:
	call puts
	mov al, 1
	out 0xf4, al
	hlt

puts:                          ; the NUL-terminated line at DS:SI
	mov dx, 0x3f8
.next:	lodsb
	test al, al
	jz .done
	out dx, al
	jmp .next
.done:	ret

pass_msg:   db "realmode: started in real mode with the registers as set; segments are real-mode ones", 10, 0
fail_magic: db "realmode: FAIL EAX is not the start magic", 10, 0
fail_id:    db "realmode: FAIL EBX is not vCPU id 0", 10, 0
fail_cr0:   db "realmode: FAIL CR0.PE is set", 10, 0
fail_sel:   db "realmode: FAIL a segment selector is not 0", 10, 0
fail_sp:    db "realmode: FAIL SP is not 0x7000", 10, 0
fail_seg:   db "realmode: FAIL ES = 0x0fff does not address linear 0x10000", 10, 0
