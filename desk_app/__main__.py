from desk_app.cli import main

main()
