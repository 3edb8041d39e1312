/* mb-uart: every register of COM1's 16550A as QEMU's hw/char/serial.c
 * presents it: scratch, LCR and the divisor latch behind DLAB, IER's four
 * bits, IIR (FIFO bits, THRE identification cleared by reading IIR),
 * LSR, and MCR loopback: the modem inputs mirror the outputs (upper MSR
 * nibble, what Linux's probe reads), sent bytes come back through RBR,
 * received-data and line-status identification, an overrun with FIFOs
 * off (the newer byte wins) and on (16 kept, the 17th lost). Nothing is
 * printed while the UART is being changed: results are kept, then
 * reported. Same lines on QEMU and under ./sealvisor. */
#include "guest/mb/mb.h"

const char *mb_name = "mb-uart";

enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static uint8_t in(unsigned reg) { return inb((uint16_t)(MB_COM1 + reg)); }
static void out(unsigned reg, uint8_t v) { outb((uint16_t)(MB_COM1 + reg), v); }

#define MAX_RESULTS 24
static struct { bool ok; const char *what; } results[MAX_RESULTS];
static unsigned nr_results;

static void keep(bool ok, const char *what)
{
	if (nr_results < MAX_RESULTS)
		results[nr_results++] = (typeof(results[0])){ ok, what };
}

static void registers(void)
{
	out(SCR, 0xa5);
	bool a = in(SCR) == 0xa5;
	out(SCR, 0x5a);
	keep(a && in(SCR) == 0x5a, "scratch register holds what is written");
	keep(in(LCR) == 0x03, "LCR reads back 8N1");
	out(LCR, 0x83);
	bool was = in(RBR) == 0x01 && in(IER) == 0x00;   /* 115200: divisor 1 */
	out(RBR, 0x34);
	out(IER, 0x12);
	bool now = in(RBR) == 0x34 && in(IER) == 0x12;
	out(RBR, 0x01);
	out(IER, 0x00);
	out(LCR, 0x03);
	keep(was && now, "DLAB: the divisor latch reads back (1, then 0x1234)");
	out(IER, 0xff);
	uint8_t ier = in(IER);
	out(IER, 0);
	keep(ier == 0x0f, "IER keeps its four low bits");
	keep(in(IIR) == 0xc1, "IIR with FIFOs on: 0xc1 (FIFO bits, no interrupt)");
	out(FCR, 0);
	keep(in(IIR) == 0x01, "IIR with FIFOs off: 0x01");
	keep((in(LSR) & 0x61) == 0x60, "LSR idle: THRE and TEMT, no data");
	out(IER, 0x02);
	uint8_t first = in(IIR), second = in(IIR);
	out(IER, 0);
	keep(first == 0x02 && second == 0x01, "THRE interrupt: IIR 0x02, cleared by reading IIR");
}

static bool msr_mirrors(uint8_t mcr, uint8_t want)
{
	out(MCR, 0x10 | mcr);
	return (in(MSR) & 0xf0) == want;
}

static void loopback(void)
{
	keep(msr_mirrors(0x0f, 0xf0) && msr_mirrors(0, 0) && msr_mirrors(0x01, 0x20) &&
	     msr_mirrors(0x02, 0x10) && msr_mirrors(0x04, 0x40) && msr_mirrors(0x08, 0x80),
	     "loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD");
	out(MCR, 0x10);
	out(RBR, 'Z');
	bool dr = in(LSR) & 0x01;
	keep(dr && in(RBR) == 'Z' && !(in(LSR) & 0x01), "loopback: a sent byte comes back through RBR");
	out(IER, 0x01);
	out(RBR, 'Y');
	uint8_t with = in(IIR);
	(void)in(RBR);
	keep(with == 0x04 && in(IIR) == 0x01, "received data: IIR 0x04 until RBR is read");
	out(IER, 0x05);
	out(RBR, 'A');
	out(RBR, 'B');
	uint8_t iir1 = in(IIR), lsr1 = in(LSR), lsr2 = in(LSR), iir2 = in(IIR), got = in(RBR);
	out(IER, 0);
	keep(iir1 == 0x06 && (lsr1 & 0x03) == 0x03 && (lsr2 & 0x03) == 0x01 && iir2 == 0x04,
	     "overrun, FIFOs off: LSR OE (cleared by reading LSR), IIR line status first");
	keep(got == 'B', "overrun, FIFOs off: RBR holds the newer byte");
	out(FCR, 0x07);                                  /* FIFOs on, cleared, trigger 1 */
	for (int i = 0; i < 17; i++)
		out(RBR, (uint8_t)('a' + i));
	bool oe = in(LSR) & 0x02, order = true;
	for (int i = 0; i < 16; i++)
		order &= in(RBR) == (uint8_t)('a' + i);
	keep(oe && order && !(in(LSR) & 0x01), "FIFO: 16 bytes kept in order, the 17th overruns");
}

void mb_test(void)
{
	mb_pic_mask_all();
	while (!(in(LSR) & 0x40))                        /* our last line has left */
		;
	registers();
	loopback();
	out(MCR, 0x0b);                                   /* as the runtime set it */
	out(FCR, 0xc7);
	while (in(LSR) & 0x01)
		(void)in(RBR);
	for (unsigned i = 0; i < nr_results; i++)
		mb_check(results[i].ok, results[i].what);
}
