/*
 * The virtualization backend interface, in the spirit of Linux's
 * kvm_x86_ops: generic hypervisor code calls through `virt` and never asks
 * which vendor it runs on. arch/x86/svm and arch/x86/vmx each provide one.
 */
#ifndef HV_VIRT_H
#define HV_VIRT_H

struct virt_ops {
	const char *name;                /* "SVM" or "VMX" */
	/* Turns virtualization on for the calling CPU. 0 or -errno. */
	int (*hardware_enable)(void);
};

extern const struct virt_ops *virt;

/* Picks the backend the CPU supports; -ENODEV (and logs why) if none. */
int virt_select(void);

#endif
