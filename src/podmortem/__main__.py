from podmortem.launch import main

main()
