from dorameter.cli import main

main()
