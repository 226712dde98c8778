from podmortem.cli import main

main()
