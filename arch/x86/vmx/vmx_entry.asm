; VMLAUNCH/VMRESUME with the guest's general registers (VMX switches only
; RSP, RIP and RFLAGS through the VMCS). The exit lands on .vmexit with the
; stack pointer the stub wrote into HOST_RSP.
bits 64
default rel

section .note.GNU-stack noalloc noexec nowrite progbits
section .text

%include "guest_regs.inc"

%define HOST_RSP 0x6c14
%define HOST_RIP 0x6c16

; int vmx_enter(struct guest_regs *regs, int launched)
; 0 after a VM exit; 1 if VMLAUNCH/VMRESUME failed (VM_INSTR_ERROR says why).
global vmx_enter:function hidden
vmx_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdi                ; [rsp] regs, where .vmexit finds it
	mov rax, HOST_RSP
	vmwrite rax, rsp
	mov rax, HOST_RIP
	lea rdx, [.vmexit]
	vmwrite rax, rdx
	test esi, esi           ; flags survive the loads below
	mov rax, [rdi + R_RAX]
	mov rsi, [rdi + R_RSI]
	load_common_gprs rdi
	mov rdi, [rdi + R_RDI]
	jnz .resume
	vmlaunch
	jmp .failed
.resume:
	vmresume
.failed:
	pop rdi
	mov eax, 1
	jmp .out
.vmexit:
	push rdi
	mov rdi, [rsp + 8]
	mov [rdi + R_RAX], rax
	mov [rdi + R_RSI], rsi
	store_common_gprs rdi
	pop qword [rdi + R_RDI]
	add rsp, 8
	xor eax, eax
.out:
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
