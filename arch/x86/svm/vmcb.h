/* VMCB layout (AMD APM vol. 2, appendix B): byte offsets into the 4 KiB page. */
#ifndef ARCH_X86_SVM_VMCB_H
#define ARCH_X86_SVM_VMCB_H

#include <stdint.h>

#define VMCB_INTERCEPT_CR     0x000   /* reads: bits 0-15, writes: 16-31 */
#define VMCB_INTERCEPT_EXC    0x008
#define VMCB_INTERCEPT_VEC3   0x00c
#define VMCB_INTERCEPT_VEC4   0x010
#define VMCB_IOPM_BASE        0x040
#define VMCB_MSRPM_BASE       0x048
#define VMCB_ASID             0x058
#define VMCB_TLB_CONTROL      0x05c
#define VMCB_VINTR            0x060
#define VMCB_INT_STATE        0x068   /* bit 0: STI/MOV SS shadow */
#define VMCB_EXITCODE         0x070
#define VMCB_EXITINFO1        0x078
#define VMCB_EXITINFO2        0x080
#define VMCB_EXITINTINFO      0x088
#define VMCB_NP_ENABLE        0x090
#define VMCB_EVENTINJ         0x0a8
#define VMCB_NCR3             0x0b0
#define VMCB_CLEAN            0x0c0
#define VMCB_NRIP             0x0c8

#define VMCB_ES   0x400
#define VMCB_CS   0x410
#define VMCB_SS   0x420
#define VMCB_DS   0x430
#define VMCB_FS   0x440
#define VMCB_GS   0x450
#define VMCB_GDTR 0x460
#define VMCB_LDTR 0x470
#define VMCB_IDTR 0x480
#define VMCB_TR   0x490
#define VMCB_CPL  0x4cb
#define VMCB_EFER 0x4d0
#define VMCB_CR4  0x548
#define VMCB_CR3  0x550
#define VMCB_CR0  0x558
#define VMCB_DR7  0x560
#define VMCB_DR6  0x568
#define VMCB_RFLAGS 0x570
#define RFLAGS_IF   (1UL << 9)
#define RFLAGS_TF   (1UL << 8)
#define VMCB_RIP  0x578
#define VMCB_RSP  0x5d8
#define VMCB_RAX  0x5f8
#define VMCB_STAR 0x600
#define VMCB_LSTAR 0x608
#define VMCB_CSTAR 0x610
#define VMCB_SFMASK 0x618
#define VMCB_KERNEL_GS_BASE 0x620
#define VMCB_SYSENTER_CS 0x628
#define VMCB_SYSENTER_ESP 0x630
#define VMCB_SYSENTER_EIP 0x638
#define VMCB_GPAT 0x668

/* VMCB_VINTR: a virtual interrupt request (V_IRQ) at the highest
 * priority, TPR ignored, masked by the guest's RFLAGS.IF (V_INTR_MASKING,
 * which every vCPU has: the guest's IF never hides host interrupts). */
#define V_IRQ               (1UL << 8)
#define V_INTR_PRIO_MAX     (0xfUL << 16)
#define V_IGN_TPR           (1UL << 20)
#define V_INTR_MASKING      (1UL << 24)

/* Intercept bits */
#define INTERCEPT_INTR      (1u << 0)
#define INTERCEPT_NMI       (1u << 1)
#define INTERCEPT_RDPMC     (1u << 15)
#define INTERCEPT_VINTR     (1u << 4)
#define INTERCEPT_CPUID     (1u << 18)
#define INTERCEPT_INVD      (1u << 22)
#define INTERCEPT_HLT       (1u << 24)
#define INTERCEPT_IRET      (1u << 20)
#define INTERCEPT_INVLPGA   (1u << 26)
#define INTERCEPT_IOIO      (1u << 27)
#define INTERCEPT_MSR       (1u << 28)
#define INTERCEPT_SHUTDOWN  (1u << 31)
#define INTERCEPT_VMRUN     (1u << 0)     /* vector 4 */
#define INTERCEPT_VMMCALL   (1u << 1)
#define INTERCEPT_VMLOAD    (1u << 2)
#define INTERCEPT_VMSAVE    (1u << 3)
#define INTERCEPT_STGI      (1u << 4)
#define INTERCEPT_CLGI      (1u << 5)
#define INTERCEPT_SKINIT    (1u << 6)
#define INTERCEPT_XSETBV    (1u << 13)
#define INTERCEPT_CR0_WRITE (1u << 16)    /* VMCB_INTERCEPT_CR */
#define INTERCEPT_CR4_WRITE (1u << 20)
#define INTERCEPT_WBINVD    (1u << 9)
#define INTERCEPT_MONITOR   (1u << 10)
#define INTERCEPT_MWAIT     (1u << 11)
#define INTERCEPT_MWAIT_ARMED (1u << 12)

/* Exit codes */
#define SVM_EXIT_CR0_WRITE 0x010
#define SVM_EXIT_CR4_WRITE 0x014
#define SVM_EXIT_INTR      0x060
#define SVM_EXIT_NMI       0x061
#define SVM_EXIT_RDPMC     0x06f
#define INTERCEPT_ICEBP     (1u << 8)

/* Exit codes */
#define SVM_EXIT_EXCP_BASE 0x040      /* + vector */
#define SVM_EXIT_INTR      0x060
#define SVM_EXIT_NMI       0x061
#define SVM_EXIT_VINTR     0x064
#define SVM_EXIT_CPUID     0x072
#define SVM_EXIT_IRET      0x074
#define SVM_EXIT_INVD      0x076
#define SVM_EXIT_HLT       0x078
#define SVM_EXIT_INVLPGA   0x07a
#define SVM_EXIT_IOIO      0x07b
#define SVM_EXIT_MSR       0x07c
#define SVM_EXIT_SHUTDOWN  0x07f
#define SVM_EXIT_VMRUN     0x080
#define SVM_EXIT_VMMCALL   0x081
#define SVM_EXIT_XSETBV    0x08d
#define SVM_EXIT_VMLOAD    0x082
#define SVM_EXIT_VMSAVE    0x083
#define SVM_EXIT_STGI      0x084
#define SVM_EXIT_CLGI      0x085
#define SVM_EXIT_SKINIT    0x086
#define SVM_EXIT_WBINVD    0x089
#define SVM_EXIT_MONITOR   0x08a
#define SVM_EXIT_MWAIT     0x08b
#define SVM_EXIT_MWAIT_ARMED 0x08c
#define SVM_EXIT_ICEBP     0x088
#define SVM_EXIT_NPF       0x400

/* EVENTINJ and EXITINTINFO share a format: vector 7:0, type 10:8, error
 * code valid 11, valid 31, error code 63:32. */
#define EVENT_TYPE(x)      (((x) >> 8) & 7)
#define EVENT_TYPE_INTR    0
#define EVENT_TYPE_NMI     2
#define EVENT_TYPE_EXC     3
#define EVENT_TYPE_SOFT    4
#define EVENT_VALID        (1UL << 31)
#define SVM_EXIT_INVALID   0xffffffffu   /* QEMU TCG stores it as 32-bit -1 */

static inline uint64_t *vmcb64(void *vmcb, unsigned off)
{
	return (uint64_t *)((uint8_t *)vmcb + off);
}

static inline uint32_t *vmcb32(void *vmcb, unsigned off)
{
	return (uint32_t *)((uint8_t *)vmcb + off);
}

static inline uint8_t *vmcb8(void *vmcb, unsigned off)
{
	return (uint8_t *)vmcb + off;
}

#endif
