; realmode: a vCPU the demo VMM starts in real mode (SV_START_16, the
; state in guest/control/layout.h). It checks what it starts with: EAX the
; start magic, EBX its id, CR0.PE clear, every segment selector 0, SP as
; set; then that segments really are real-mode ones (a selector loaded into
; ES addresses selector * 16: no descriptor table, no #GP). Reports on COM1
; and through the exit port 0xf4 (0: pass).
%include "sv-note.inc"
SV_NOTE_U32 3, 16          ; SV_NOTE_START_MODE: SV_START_16

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
	; RDMSR is refused with #GP (every MSR is intercepted): in real mode
	; it arrives through the vector table, with no error code pushed.
	mov si, fail_gp
	mov word [13 * 4], gp_handler
	mov word [13 * 4 + 2], 0
	mov byte [gp_seen], 0
	mov ecx, 0x10
	rdmsr
	cmp byte [gp_seen], 1
	jne fail
	; CR0 writes exit and are emulated in real mode too (CS:IP fetched
	; without paging): TS on with MOV, off with CLTS, PE untouched.
	mov si, fail_cr0w
	mov eax, cr0
	or eax, 8
	mov cr0, eax
	mov eax, cr0
	test eax, 8
	jz fail
	test eax, 1
	jnz fail
	clts
	mov eax, cr0
	test eax, 8
	jnz fail
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

gp_handler:                    ; IP, CS, FLAGS on the stack: no error code
	push bp
	mov bp, sp
	add word [bp + 2], 2       ; past the 2-byte RDMSR
	mov byte [gp_seen], 1
	pop bp
	iret

puts:                          ; the NUL-terminated line at DS:SI
	mov dx, 0x3f8
.next:	lodsb
	test al, al
	jz .done
	out dx, al
	jmp .next
.done:	ret

gp_seen:    db 0
pass_msg:   db "realmode: started in real mode with the registers as set; segments are real-mode ones; RDMSR raised #GP through the vector table; CR0.TS set and cleared", 10, 0
fail_cr0w:  db "realmode: FAIL setting CR0.TS with MOV and clearing it with CLTS", 10, 0
fail_gp:    db "realmode: FAIL RDMSR did not raise #GP through the vector table (or pushed an error code)", 10, 0
fail_magic: db "realmode: FAIL EAX is not the start magic", 10, 0
fail_id:    db "realmode: FAIL EBX is not vCPU id 0", 10, 0
fail_cr0:   db "realmode: FAIL CR0.PE is set", 10, 0
fail_sel:   db "realmode: FAIL a segment selector is not 0", 10, 0
fail_sp:    db "realmode: FAIL SP is not 0x7000", 10, 0
fail_seg:   db "realmode: FAIL ES = 0x0fff does not address linear 0x10000", 10, 0
