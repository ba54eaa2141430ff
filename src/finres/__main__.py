from finres.cli import main

main()
