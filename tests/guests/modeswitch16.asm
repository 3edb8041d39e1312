; modeswitch16: started in real mode (SV_START_16), it enters 32-bit
; protected mode itself (its own GDT, CR0.PE, a far jump), then runs the
; modeswitch body (tests/guests/modeswitch.inc): paging, PAE, long mode
; and back; then it returns to real mode (16-bit segments, CR0.PE clear,
; a far jump), checks that segments are real-mode ones again and that
; CR0.PG without PE faults there too (#GP through the vector table).
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

%include "modeswitch.inc"

; Back to real mode: through a 16-bit protected-mode segment, as the
; architecture asks.
bits 32
done32:
	mov esi, back_msg
	call puts
	jmp 0x20:.pm16
bits 16
.pm16:	mov ax, 0x28
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov eax, cr0
	and al, 0xfe
	mov cr0, eax
	jmp 0:.real
.real:	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7000
	lidt [ivt_ptr]
	mov si, fail_back
	mov eax, cr0
	test al, 1
	jnz fail16
	; ES = 0x0fff: ES:0x10 is linear 0x10000, not DS:0x10.
	mov si, fail_seg
	mov word [0x0010], 0x1111
	mov ax, 0x0fff
	mov es, ax
	mov word [es:0x0010], 0xbeef
	cmp word [es:0x0010], 0xbeef
	jne fail16
	cmp word [0x0010], 0x1111
	jne fail16
	; CR0.PG without PE in real mode: #GP through the vector table.
	mov word [13 * 4], gp16
	mov word [13 * 4 + 2], 0
	mov dword [recover], .r8
	mov dword [gp_count], 0
	mov eax, cr0
	or eax, PG
	mov cr0, eax
.r8:	mov si, fail_pg_real
	cmp dword [gp_count], 1
	jne fail16
	mov eax, cr0
	test eax, PG | 1
	jnz fail16
	mov si, pass_real
.put:	lodsb                               ; the PASS line, then status 0
	test al, al
	jz .end
	mov dx, 0x3f8
	out dx, al
	jmp .put
.end:	mov al, 0
	out 0xf4, al
	hlt

gp16:                                   ; IP, CS, FLAGS: no error code
	push bp
	mov bp, sp
	push ax
	mov ax, [recover]
	mov [bp + 2], ax
	inc dword [gp_count]
	pop ax
	pop bp
	iret

ivt_ptr:    dw 0x3ff
	    dd 0
fail_back:  db NAME, ": FAIL CR0.PE still set after clearing it", 10, 0
fail_seg:   db NAME, ": FAIL back in real mode, ES = 0x0fff does not address linear 0x10000", 10, 0
fail_pg_real: db NAME, ": FAIL CR0.PG without PE in real mode did not fault through the vector table (or changed CR0)", 10, 0
pass_real:  db NAME, ": PASS back in real mode: segments are real-mode ones, CR0.PG without PE faulted; 8 forbidden switches faulted", 10, 0
fail_real:  db NAME, ": FAIL CR0.PE set at a real-mode start", 10, 0
fail_pe:    db NAME, ": FAIL CR0.PE not set after MOV to CR0", 10, 0
ok_pe:      db NAME, ": real mode -> 32-bit protected mode by CR0.PE and a far jump", 10, 0
