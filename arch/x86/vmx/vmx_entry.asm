; VMLAUNCH/VMRESUME with the guest's general registers (VMX switches only
; RSP, RIP and RFLAGS through the VMCS). The exit lands on vmx_exit_rip with
; the stack pointer the stub wrote into HOST_RSP.
bits 64
default rel

section .note.GNU-stack noalloc noexec nowrite progbits
section .text

%include "guest_regs.inc"

%define HOST_RSP 0x6c14

; int vmx_enter(struct guest_regs *regs, int launched, uint64_t *host_rsp)
; 0 after a VM exit; 1 if VMLAUNCH/VMRESUME failed (VM_INSTR_ERROR says why).
; HOST_RSP is written only when it differs from *host_rsp (the value in
; this VMCS): the same caller on the same CPU enters at the same depth.
; HOST_RIP (vmx_exit_rip) is host state, written when the VMCS is loaded.
global vmx_enter:function hidden
global vmx_exit_rip:function hidden
vmx_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdi                ; [rsp] regs, where vmx_exit_rip finds it
	cmp rsp, [rdx]
	je .rsp_written
	mov [rdx], rsp
	mov rax, HOST_RSP
	vmwrite rax, rsp
.rsp_written:
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
	jmp vmx_enter_out

vmx_exit_rip:
	push rdi
	mov rdi, [rsp + 8]
	mov [rdi + R_RAX], rax
	mov [rdi + R_RSI], rsi
	store_common_gprs rdi
	pop qword [rdi + R_RDI]
	add rsp, 8
	xor eax, eax
vmx_enter_out:
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
