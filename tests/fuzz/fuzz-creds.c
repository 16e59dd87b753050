/* fuzz-creds.c: the credential parsers.  Byte 0 picks the target: STS XML
 * (as a 200 answer or an error), the AWS shared files (as the credentials
 * and as the config file, then a profile chain), ISO 8601 and az times,
 * and credential_process word splitting. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aws.h"
#include "awsconf.h"
#include "azure.h"
#include "capture.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_awsconf(const char *text, size_t len, int as_config)
{
	int fd = memfd_create("fuzz-aws", MFD_CLOEXEC);
	char path[64];
	struct awsconf *conf = NULL;
	struct awsconf_chain ch;
	struct mino_error *err = NULL;
	static const char *const names[] = { "default", "a", "dev", "profile", "" };

	if (fd < 0)
		return;
	if (write(fd, text, len) == (ssize_t)len) {
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		if (awsconf_load(as_config ? "/nonexistent" : path, as_config ? path : "/nonexistent", &conf, &err) == 0) {
			for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
				if (awsconf_resolve(conf, names[i], &ch, &err) == 0)
					awsconf_chain_clear(&ch);
				mino_error_release(&err);
			}
			awsconf_free(conf);
		}
		mino_error_release(&err);
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mino_error *err = NULL;
	struct aws_creds c;
	char *text;
	time_t t;

	if (size < 1)
		return 0;
	text = xstrndup((const char *)data + 1, size - 1);
	switch (data[0] & 7) {
	case 0:
	case 1:
		if (aws_sts_parse(data[0] & 1 ? "GetSessionToken" : "AssumeRole", (const char *)data + 1, size - 1,
		    data[0] & 8 ? 403 : 200, &c, &err) == 0)
			aws_creds_clear(&c);
		mino_error_release(&err);
		break;
	case 2:
	case 3:
		fuzz_awsconf((const char *)data + 1, size - 1, data[0] & 1);
		break;
	case 4:
		(void)aws_parse_time(text, &t);
		(void)azure_parse_az_expiry(text, text, &t);
		(void)azure_parse_az_expiry(NULL, text, &t);
		break;
	default: {
		char **v = capture_split_words(text, &err);

		capture_argv_free(v);
		mino_error_release(&err);
		break;
	}
	}
	free(text);
	return 0;
}
