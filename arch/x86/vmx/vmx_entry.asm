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
	mov rbx, [rdi + R_RBX]
	mov rcx, [rdi + R_RCX]
	mov rdx, [rdi + R_RDX]
	mov rsi, [rdi + R_RSI]
	mov rbp, [rdi + R_RBP]
	mov r8,  [rdi + R_R8]
	mov r9,  [rdi + R_R9]
	mov r10, [rdi + R_R10]
	mov r11, [rdi + R_R11]
	mov r12, [rdi + R_R12]
	mov r13, [rdi + R_R13]
	mov r14, [rdi + R_R14]
	mov r15, [rdi + R_R15]
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
	mov [rdi + R_RBX], rbx
	mov [rdi + R_RCX], rcx
	mov [rdi + R_RDX], rdx
	mov [rdi + R_RSI], rsi
	mov [rdi + R_RBP], rbp
	mov [rdi + R_R8],  r8
	mov [rdi + R_R9],  r9
	mov [rdi + R_R10], r10
	mov [rdi + R_R11], r11
	mov [rdi + R_R12], r12
	mov [rdi + R_R13], r13
	mov [rdi + R_R14], r14
	mov [rdi + R_R15], r15
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
