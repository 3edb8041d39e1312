; Assembly the hypervisor cannot do in C: switching to its own stack, loading
; the GDT (a far return reloads CS) and the interrupt/exception entry stubs.
bits 64
default rel

section .note.GNU-stack noalloc noexec nowrite progbits

section .text

; void arch_switch_stack(void *top, void (*fn)(void *), void *arg)  -- noreturn
global arch_switch_stack:function hidden
arch_switch_stack:
	mov rsp, rdi
	xor ebp, ebp            ; a zero frame pointer ends every backtrace
	mov rdi, rdx
	call rsi
	ud2

; void gdt_load(const struct gdtr *gdtr, uint16_t cs, uint16_t ds)
global gdt_load:function hidden
gdt_load:
	lgdt [rdi]
	mov ds, dx
	mov es, dx
	mov ss, dx
	xor eax, eax
	mov fs, ax
	mov gs, ax
	push rsi
	lea rax, [.reloaded]
	push rax
	o64 retf
.reloaded:
	ret

; Vectors whose exceptions push an error code; the others get a 0 pushed so
; every frame has the same layout (struct trap_frame in trap.h).
%define HAS_ERR(v) ((v) == 8 || (v) == 10 || (v) == 11 || (v) == 12 || \
			(v) == 13 || (v) == 14 || (v) == 17 || (v) == 21 || \
			(v) == 29 || (v) == 30)

extern trap_handler

; 256 stubs of 16 bytes each: C finds stub v at trap_stubs + 16 * v.
align 16
global trap_stubs:data hidden
trap_stubs:
%assign v 0
%rep 256
	align 16
%if HAS_ERR(v) == 0
	push qword 0
%endif
	push qword v
	jmp trap_common
%assign v v + 1
%endrep

trap_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	cld
	mov rdi, rsp
	mov rbx, rsp
	and rsp, -16
	call trap_handler wrt ..plt
	mov rsp, rbx
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16             ; vector and error code
	iretq
