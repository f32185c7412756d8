from privacy_desk.cli import main

main()
