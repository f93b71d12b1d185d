// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the argument contract of /dev/splitckpt, checked on
 * GET_INFO: size versioning, flags and reserved fields, bad pointers,
 * unknown commands.  Outputs are poisoned before every call so that a field
 * the kernel forgot to write is caught.
 */
#include <sys/mman.h>

#include "splitckpt_test.h"

FIXTURE(dev)
{
	int fd;
	long page;
};

FIXTURE_SETUP(dev)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open(SPLITCKPT_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "%s: %s (module not loaded?)", SPLITCKPT_DEV,
		     strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* An argument with every output poisoned and valid inputs. */
static void info_init(struct splitckpt_info *info, __u32 size)
{
	memset(info, POISON_BYTE, sizeof(*info));
	info->size = size;
	info->flags = 0;
	memset(info->reserved, 0, sizeof(info->reserved));
}

TEST_F(dev, get_info_fills_every_field)
{
	struct splitckpt_info info;

	info_init(&info, sizeof(info));
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(SPLITCKPT_API_LEVEL, info.api_level);
	EXPECT_EQ(self->page, info.page_size);
	EXPECT_EQ(0, info.features & ~SPLITCKPT_FEATURES_KNOWN);
	EXPECT_NE(0, info.ioctls & (1ULL << SPLITCKPT_NR_GET_INFO));
	for (unsigned int i = 0; i < 4; i++) {
		EXPECT_EQ(0, info.reserved[i]) TH_LOG("reserved[%u]", i);
	}
}

TEST_F(dev, ver0_size_is_accepted)
{
	struct splitckpt_info info;

	info_init(&info, SPLITCKPT_INFO_SIZE_VER0);
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, &info));
	EXPECT_EQ(SPLITCKPT_INFO_SIZE_VER0, info.size);
	EXPECT_EQ(SPLITCKPT_API_LEVEL, info.api_level);
}

/* Every advertised command exists and every unadvertised one is -ENOTTY. */
TEST_F(dev, ioctls_bitmap_matches_commands)
{
	struct splitckpt_info info;
	__u32 zero_size = 0;

	info_init(&info, sizeof(info));
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, &info));
	for (unsigned int nr = 0; nr < 64; nr++) {
		int ret = sc_ioctl(self->fd, sc_cmd(nr, 8), &zero_size);

		if (info.ioctls & (1ULL << nr)) {
			EXPECT_EQ(-EINVAL, ret) TH_LOG("command %u", nr);
		} else {
			EXPECT_EQ(-ENOTTY, ret) TH_LOG("command %u", nr);
		}
	}
	for (unsigned int nr = 64; nr < 256; nr++) {
		EXPECT_EQ(-ENOTTY, sc_ioctl(self->fd, sc_cmd(nr, 8), &zero_size))
			TH_LOG("command %u", nr);
	}
}

TEST_F(dev, size_bits_of_command_are_ignored)
{
	struct splitckpt_info info;

	info_init(&info, sizeof(info));
	ASSERT_EQ(0, sc_ioctl(self->fd, sc_cmd(SPLITCKPT_NR_GET_INFO, 0), &info));
	EXPECT_EQ(SPLITCKPT_API_LEVEL, info.api_level);
}

TEST_F(dev, wrong_type_or_direction_is_enotty)
{
	struct splitckpt_info info;

	info_init(&info, sizeof(info));
	EXPECT_EQ(-ENOTTY, sc_ioctl(self->fd,
		_IOWR(SPLITCKPT_IOC_TYPE + 1, SPLITCKPT_NR_GET_INFO,
		      struct splitckpt_info), &info));
	EXPECT_EQ(-ENOTTY, sc_ioctl(self->fd,
		_IOR(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_GET_INFO,
		     struct splitckpt_info), &info));
	EXPECT_EQ(-ENOTTY, sc_ioctl(self->fd,
		_IOW(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_GET_INFO,
		     struct splitckpt_info), &info));
	EXPECT_EQ(-ENOTTY, sc_ioctl(self->fd,
		_IO(SPLITCKPT_IOC_TYPE, SPLITCKPT_NR_GET_INFO), &info));
	/* Nothing was written. */
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(0xccccccccu, info.api_level);
}

TEST_F(dev, short_size_is_einval_and_writes_nothing)
{
	static const __u32 sizes[] = { 0, 1, 4, 8, SPLITCKPT_INFO_SIZE_VER0 - 1 };
	struct splitckpt_info info;

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		info_init(&info, sizes[i]);
		EXPECT_EQ(-EINVAL, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, &info))
			TH_LOG("size %u", sizes[i]);
		EXPECT_EQ(sizes[i], info.size);
		EXPECT_EQ(0xccccccccu, info.api_level);
	}
}

TEST_F(dev, larger_size_with_zero_tail_is_accepted)
{
	unsigned char buf[256];
	struct splitckpt_info *info = (void *)buf;

	memset(buf, POISON_BYTE, sizeof(buf));
	memset(buf, 0, 128);
	info->size = 128;
	ASSERT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, buf));
	/* The kernel says how much it wrote and writes nothing beyond. */
	EXPECT_EQ(sizeof(*info), info->size);
	EXPECT_EQ(SPLITCKPT_API_LEVEL, info->api_level);
	for (unsigned int i = sizeof(*info); i < 128; i++) {
		EXPECT_EQ(0, buf[i]) TH_LOG("byte %u", i);
	}
	for (unsigned int i = 128; i < sizeof(buf); i++) {
		EXPECT_EQ(POISON_BYTE, buf[i]) TH_LOG("byte %u", i);
	}
}

TEST_F(dev, larger_size_with_nonzero_tail_is_e2big)
{
	unsigned char buf[128];
	struct splitckpt_info *info = (void *)buf;

	memset(buf, 0, sizeof(buf));
	info->size = sizeof(buf);
	buf[sizeof(buf) - 1] = 1;
	EXPECT_EQ(-E2BIG, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, buf));
	EXPECT_EQ(0, info->api_level);
	buf[sizeof(buf) - 1] = 0;
	buf[sizeof(*info)] = 0x80;
	EXPECT_EQ(-E2BIG, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, buf));
}

TEST_F(dev, oversized_struct_is_e2big)
{
	size_t len = 2 * SPLITCKPT_MAX_ARG_SIZE;
	unsigned char *buf = calloc(1, len);
	struct splitckpt_info *info = (void *)buf;

	ASSERT_NE(NULL, buf);
	info->size = SPLITCKPT_MAX_ARG_SIZE + 1;
	EXPECT_EQ(-E2BIG, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, buf));
	info->size = UINT32_MAX;
	EXPECT_EQ(-E2BIG, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, buf));
	info->size = SPLITCKPT_MAX_ARG_SIZE;
	EXPECT_EQ(0, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, buf));
	free(buf);
}

TEST_F(dev, unknown_flags_are_einval)
{
	struct splitckpt_info info;

	for (unsigned int bit = 0; bit < 32; bit++) {
		info_init(&info, sizeof(info));
		info.flags = 1u << bit;
		EXPECT_EQ(-EINVAL, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, &info))
			TH_LOG("flag bit %u", bit);
		EXPECT_EQ(0xccccccccu, info.api_level);
	}
}

TEST_F(dev, nonzero_reserved_is_einval)
{
	struct splitckpt_info info;

	for (unsigned int i = 0; i < 4; i++) {
		info_init(&info, sizeof(info));
		info.reserved[i] = 1ULL << 63;
		EXPECT_EQ(-EINVAL, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, &info))
			TH_LOG("reserved[%u]", i);
	}
}

TEST_F(dev, bad_pointers_are_efault)
{
	long pg = self->page;
	unsigned char *map;
	struct splitckpt_info *info;

	EXPECT_EQ(-EFAULT, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, NULL));
	EXPECT_EQ(-EFAULT, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO,
				    (void *)(uintptr_t)-4096));

	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));

	/* The struct runs off the end of the mapping. */
	info = (void *)(map + pg - 16);
	memset(info, 0, 16);
	info->size = sizeof(*info);
	EXPECT_EQ(-EFAULT, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, info));

	/* Readable but not writable: the copy-out fails. */
	info = (void *)map;
	info_init(info, sizeof(*info));
	ASSERT_EQ(0, mprotect(map, pg, PROT_READ));
	EXPECT_EQ(-EFAULT, sc_ioctl(self->fd, SPLITCKPT_IOC_GET_INFO, info));
	EXPECT_EQ(0xccccccccu, info->api_level);
	munmap(map, pg);
}

TEST(readonly_open_may_query)
{
	struct splitckpt_info info;
	int fd = open(SPLITCKPT_DEV, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		SKIP(return, "%s: %s", SPLITCKPT_DEV, strerror(errno));
	info_init(&info, sizeof(info));
	EXPECT_EQ(0, sc_ioctl(fd, SPLITCKPT_IOC_GET_INFO, &info));
	EXPECT_EQ(SPLITCKPT_API_LEVEL, info.api_level);
	close(fd);
}

TEST_HARNESS_MAIN
