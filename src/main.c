/* mvbuild: declarative builds of microVM kernels, images and launch configs. */
int cli_main(int argc, char **argv);

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
