from exchange_cli import main

main()
