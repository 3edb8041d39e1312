; The application-processor start-up code. The boot CPU copies the bytes
; from ap_trampoline to ap_trampoline_end to a page below 1 MiB, fills in
; the parameter block at PARAMS (struct ap_params in arch/x86/smp.c) and
; sends INIT-SIPI-SIPI: the AP starts here in real mode at page:0, climbs
; to protected mode and then long mode on the hypervisor's page tables,
; and calls entry(arg) on its own stack.
bits 16
default abs

section .note.GNU-stack noalloc noexec nowrite progbits
section .text

%define PARAMS     0xf00
%define P_GDTR     (PARAMS + 0x20)
%define P_FAR32    (PARAMS + 0x28)
%define P_FAR64    (PARAMS + 0x30)
%define P_CR3      (PARAMS + 0x38)
%define P_ENTRY    (PARAMS + 0x40)
%define P_STACK    (PARAMS + 0x48)
%define P_ARG      (PARAMS + 0x50)
%define P_APIC     (PARAMS + 0x58)
%define P_CLAIM    (PARAMS + 0x5c)

global ap_trampoline:data hidden
ap_trampoline:
	cli
	cld
	mov ax, cs
	mov ds, ax
	xor ebx, ebx
	mov bx, ax
	shl ebx, 4                      ; ebx = the page's physical address
	o32 lgdt [P_GDTR]
	mov eax, cr0
	or eax, 1                       ; PE
	mov cr0, eax
	jmp dword far [P_FAR32]

bits 32
global ap_trampoline_pm32:data hidden
ap_trampoline_pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	mov eax, [ebx + P_CR3]
	mov cr3, eax
	mov ecx, 0xc0000080             ; EFER
	rdmsr
	or eax, (1 << 8) | (1 << 11)    ; LME, NXE
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16)   ; PG, WP
	mov cr0, eax
	jmp far [ebx + P_FAR64]

bits 64
global ap_trampoline_lm64:data hidden
ap_trampoline_lm64:
	; The parameters are this CPU's only if they name its APIC id and it
	; takes them (claim 0 -> 1); else the boot CPU gave up on it, and the
	; page may already be another CPU's: park (arch/x86/smp.c).
	mov r12, rbx
	mov eax, 1
	cpuid
	shr ebx, 24                     ; initial APIC id
	cmp ebx, [r12 + P_APIC]
	jne .park
	xor eax, eax
	mov ecx, 1
	lock cmpxchg [r12 + P_CLAIM], ecx
	jne .park
	mov rbx, r12
	mov rsp, [rbx + P_STACK]
	mov rdi, [rbx + P_ARG]
	mov rax, [rbx + P_ENTRY]
	xor ebp, ebp                    ; ends backtraces
	call rax
	ud2
.park:
	cli
	hlt
	jmp .park
global ap_trampoline_end:data hidden
ap_trampoline_end:
