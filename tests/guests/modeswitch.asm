; modeswitch: started in 32-bit protected mode with paging off (SV_START_32,
; as a Multiboot kernel is), it switches to 32-bit paging, PAE paging and
; long mode itself and back out; the forbidden switches must #GP. The
; body is tests/guests/modeswitch.inc.
%include "sv-note.inc"
SV_NOTE_U32 3, 32          ; SV_NOTE_START_MODE: SV_START_32
%define NAME "modeswitch"

bits 32
section .text.start
global _start
_start:
	mov esi, fail_magic
	cmp eax, 0x53560020
	jne fail
	jmp pm32

done32:
	mov esi, back_msg
	call puts
	mov esi, pass_msg
	call puts
	mov al, 0
	out 0xf4, al
	hlt

pass_msg:   db NAME, ": PASS", 10, 0
fail_magic: db NAME, ": FAIL EAX is not the start magic", 10, 0

%include "modeswitch.inc"
