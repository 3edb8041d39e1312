/* Reading \sealvisor.cfg and the images it names from the boot volume. */
#include <efi.h>
#include <sealvisor/errno.h>
#include "boot/config.h"
#include "boot/efi.h"
#include "hv/log.h"
#include "lib/string.h"

#define CONFIG_FILE "sealvisor.cfg"
#define MAX_FILE_SIZE (256UL << 20)

struct volume {
	EFI_BOOT_SERVICES *bs;
	EFI_FILE_HANDLE root;
};

/* "dir/name.elf" -> L"\\dir\\name.elf"; paths were validated by the parser. */
static void to_efi_path(const char *path, CHAR16 *out)
{
	size_t i = 0;

	out[i++] = L'\\';
	for (; *path; path++)
		out[i++] = *path == '/' ? L'\\' : (CHAR16)*path;
	out[i] = 0;
}

/* Whole file into fresh EfiLoaderData pages, which survive ExitBootServices. */
static int read_file(struct volume *v, const char *path, uint64_t *base, uint64_t *size)
{
	CHAR16 wpath[CONFIG_PATH_MAX + 2];
	EFI_FILE_HANDLE f;
	EFI_GUID info_id = EFI_FILE_INFO_ID;
	union { EFI_FILE_INFO info; uint8_t raw[512]; } info;
	UINTN info_size = sizeof(info);
	EFI_PHYSICAL_ADDRESS pa;

	to_efi_path(path, wpath);
	EFI_STATUS s = v->root->Open(v->root, &f, wpath, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(s)) {
		log_err("boot: cannot open '%s': %s\n", path, efi_status_name(s));
		return -ENOENT;
	}
	s = f->GetInfo(f, &info_id, &info_size, &info);
	if (EFI_ERROR(s) || info.info.FileSize > MAX_FILE_SIZE) {
		log_err("boot: cannot size '%s': %s (size %lu, limit %lu)\n", path,
			efi_status_name(s), EFI_ERROR(s) ? 0 : info.info.FileSize, MAX_FILE_SIZE);
		f->Close(f);
		return -EFBIG;
	}
	UINTN len = info.info.FileSize;
	UINTN pages = (len + EFI_PAGE_SIZE) / EFI_PAGE_SIZE;  /* +1 byte for a NUL */
	s = v->bs->AllocatePages(AllocateAnyPages, EfiLoaderData, pages, &pa);
	if (EFI_ERROR(s)) {
		log_err("boot: no memory for '%s' (%lu bytes)\n", path, len);
		f->Close(f);
		return -ENOMEM;
	}
	memset((void *)pa, 0, pages * EFI_PAGE_SIZE);
	UINTN got = len;
	s = f->Read(f, &got, (void *)pa);
	f->Close(f);
	if (EFI_ERROR(s) || got != len) {
		log_err("boot: reading '%s' failed: %s (%lu of %lu bytes)\n", path,
			efi_status_name(s), got, len);
		return -EIO;
	}
	*base = pa;
	*size = len;
	return 0;
}

static int open_volume(EFI_HANDLE image, EFI_BOOT_SERVICES *bs, struct volume *v,
		       struct boot_info *bi)
{
	EFI_GUID li_guid = LOADED_IMAGE_PROTOCOL, fs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;
	EFI_LOADED_IMAGE *li;
	EFI_FILE_IO_INTERFACE *fs;

	v->bs = bs;
	EFI_STATUS s = bs->HandleProtocol(image, &li_guid, (void **)&li);
	if (!EFI_ERROR(s)) {
		bi->image_base = (uint64_t)li->ImageBase;
		bi->image_size = li->ImageSize;
		s = bs->HandleProtocol(li->DeviceHandle, &fs_guid, (void **)&fs);
	}
	if (!EFI_ERROR(s))
		s = fs->OpenVolume(fs, &v->root);
	if (EFI_ERROR(s)) {
		log_err("boot: cannot open the boot volume: %s\n", efi_status_name(s));
		return -ENODEV;
	}
	return 0;
}

static int load_module(struct volume *v, struct boot_info *bi, const char *path, bool is_data)
{
	struct boot_module *m = &bi->modules[bi->nr_modules];
	int r = read_file(v, path, &m->base, &m->size);

	if (r == 0) {
		memcpy(m->name, path, strlen(path) + 1);
		m->is_data = is_data;
		bi->nr_modules++;
		log_info("boot: loaded '%s' (%lu bytes)\n", path, m->size);
	}
	return r;
}

int efi_load_files(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct boot_info *bi)
{
	struct volume v;
	uint64_t base, size;
	char err[CONFIG_ERR_MAX];
	int r = open_volume(image, st->BootServices, &v, bi);

	if (r == 0)
		r = read_file(&v, CONFIG_FILE, &base, &size);
	if (r)
		return r;
	r = config_parse(&bi->config, CONFIG_FILE, (const char *)base, size, err, sizeof(err));
	if (r) {
		log_err("%s\n", err);
		return r;
	}
	if (bi->config.control[0])
		r = load_module(&v, bi, bi->config.control, false);
	for (int i = 0; i < bi->config.nr_guests && !r; i++)
		r = load_module(&v, bi, bi->config.guests[i], bi->config.guest_is_data[i]);
	if (r)
		log_err("boot: %s names an image that cannot be loaded\n", CONFIG_FILE);
	return r;
}
