/* COM1's input (guest/vmm/com1_input.h). */
#include "guest/vmm/com1_input.h"
#include "guest/vmm/pc_machine.h"

static const uint8_t *input;
static uint64_t input_len, input_pos;

void com1_input_set(const uint8_t *bytes, uint64_t len)
{
	input = bytes;
	input_len = bytes ? len : 0;
	input_pos = 0;
}

void com1_input_feed_locked(struct pc *pc)
{
	uint64_t left = input_len - input_pos;

	if (left)
		input_pos += pc_com1_feed(pc, input + input_pos,
					  left > UART_FIFO_SIZE ? UART_FIFO_SIZE : (unsigned)left);
}
