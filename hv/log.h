/* Leveled logging to the hypervisor console (COM1). */
#ifndef HV_LOG_H
#define HV_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(int level);
/* Would a line at this level print? (Spares callers the formatting.) */
int log_enabled(int level);
void log_printf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Unconditional output without prefix (banner, dumps). */
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s, unsigned long len);

#define log_err(...)   log_printf(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_printf(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_printf(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)

#endif
