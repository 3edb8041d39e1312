; VMRUN with the guest's general registers, which VMRUN itself does not
; switch (it switches RAX, RSP, RIP and RFLAGS through the VMCB), and
; VMLOAD/VMSAVE for the state it leaves alone (FS/GS/TR/LDTR bases, syscall
; MSRs): the host's copy lives in a per-CPU save area.
bits 64
default rel

section .note.GNU-stack noalloc noexec nowrite progbits
section .text

%include "guest_regs.inc"

; void svm_enter(uint64_t vmcb_pa, struct guest_regs *regs, uint64_t host_save_pa)
global svm_enter:function hidden
svm_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rsi                ; [rsp + 16] regs
	push rdx                ; [rsp + 8]  host save area
	push rdi                ; [rsp]      vmcb
	clgi                    ; no interrupt until the host state is back
	sti                     ; host IF=1 in guest mode: physical IRQs exit (V_INTR_MASKING)
	mov rax, rdx
	vmsave
	mov rax, rdi
	vmload
	load_common_gprs rsi
	mov rdi, [rsi + R_RDI]
	mov rsi, [rsi + R_RSI]
	vmrun                   ; #VMEXIT restores host RAX (the VMCB address) and RSP
	push rsi
	mov rsi, [rsp + 24]
	store_common_gprs rsi
	mov [rsi + R_RDI], rdi
	pop qword [rsi + R_RSI]
	vmsave
	mov rax, [rsp + 8]
	vmload
	stgi                    ; a pending host interrupt is taken here
	cli
	add rsp, 24
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
