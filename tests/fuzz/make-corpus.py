#!/usr/bin/env python3
"""Writes the seed corpus tests/fuzz/corpus/ (hand-made inputs, one per main
path). The byte layout is fuzz_hypercalls.c's: a step byte, then its
arguments. Rerun after changing the step table there."""
import os

(CREATE, CLOSE, SET_SIZE, GET, ADD_SEALS, RW, MAP, UNMAP, FALLOC, FALLOC2, VM_CREATE,
 VM_DESTROY, SET_REGION, POPULATE, FINALIZE, MEASURE, VCPU_CREATE, VCPU_RUN, CONSOLE_STATS,
 MISC, GUEST_FAULT, GUEST_FAULT2, MAP_FAULT, GUEST_HC, POKE, LAUNCH) = range(26)

# pick_span bytes
S0, S4K, S64K, S2M, S2M_4K, S4M = 0x00, 0x01, 0x41, 0xb0, 0x84, 0xb1
PUNCH, ALLOC = 2, 0       # pick_falloc_mode indices
GUEST_SEAL = 0x20         # pick_seals: low bits are the seals

SEEDS = {
    # launch a 4 MiB guest (fallocated: 2 MiB extents), fault 4 KiB and 2 MiB,
    # punch a page and part of a 2 MiB leaf, fault again, run it, destroy it
    "guest-punch": [LAUNCH, 0x21, 0,
                    GUEST_FAULT, 0, S0, 0, GUEST_FAULT, 0, S2M, 0,
                    FALLOC, 0, PUNCH, S64K, S4K,
                    FALLOC, 0, PUNCH, S2M_4K, 0x10,
                    GUEST_FAULT, 0, S2M, 0,
                    VCPU_RUN, 1, 0, 2, 3, 0, S2M_4K, 4, 3, 5, S4K, S4K, 2, S4K, 0,
                    VM_DESTROY, 1],
    # a shared object mapped into the control partition, written, faulted,
    # punched under the mapping, faulted again, unmapped, closed
    "control-map": [CREATE, 0, SET_SIZE, 0, S64K,
                    MAP, 0, S0, 0, 0x10, 1,
                    RW, 1, 0, S0, 0, S4K, 0,
                    MAP_FAULT, 0, 0, 1, MAP_FAULT, 1, 0, 0,
                    FALLOC, 0, PUNCH, S0, S4K,
                    MAP_FAULT, 0, 0, 1, RW, 0, 0, S0, 4, S4K, 0,
                    UNMAP, 0, CLOSE, 0],
    # a guest calling the hypervisor ABI, and the calls open to anyone
    "guest-hypercalls": [LAUNCH, 0x00, 0,
                         GUEST_HC, 0, 10, S0, S0, 0, S0, S0,
                         GUEST_HC, 0, 1, S0, S4K, 0, S0, S0,
                         GUEST_HC, 0, 3, S0, S0, 0, S0, S0,
                         CONSOLE_STATS, 0, 1, 1, 16, CONSOLE_STATS, 0, 0, 1,
                         MISC, 0, 0, MISC, 1, 1, S0, S0, MISC, 3, 2, S0],
    # step by step: GUEST seal, size, VM, region, populate, vCPU, finalize,
    # measurement; destroy and bind the object to a new VM
    "launch-steps": [CREATE, 0, ADD_SEALS, 0, GUEST_SEAL, SET_SIZE, 0, S2M,
                     VM_CREATE, SET_REGION, 1, S0, S2M, 0, S0,
                     POKE, 1, 0, 8, 0, 0, 0x10, 0, 0, 0, 0, 0,
                     POPULATE, 1, S4K, 0, 0, 200, 0,
                     VCPU_CREATE, 1, 0, 1, FINALIZE, 1, MEASURE, 1, 3,
                     GUEST_FAULT, 0, S4K, 0,
                     VM_DESTROY, 1, VM_CREATE, SET_REGION, 1, S0, S2M, 0, S0],
    # one object bound twice in one VM at different gpas, then punched
    "alias-regions": [CREATE, 0, SET_SIZE, 0, S4M, FALLOC, 0, ALLOC, S0, S4M,
                      VM_CREATE, SET_REGION, 1, S0, S2M, 0, S0,
                      SET_REGION, 1, S4M, S2M, 0, S0,
                      VCPU_CREATE, 1, 0, 1, FINALIZE, 1,
                      GUEST_FAULT, 0, S0, 0, GUEST_FAULT, 0, S4M, 0,
                      FALLOC, 0, PUNCH, S4K, S4K, CLOSE, 0, VM_DESTROY, 1],
}

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(here, exist_ok=True)
for name, steps in SEEDS.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(bytes(steps))
