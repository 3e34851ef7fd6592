/* main: placeholder until the command table lands. */
#include <stdio.h>

int main(void)
{
	puts("ccbuild 0.1.0");
	return 0;
}
