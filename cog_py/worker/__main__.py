from cog_py.worker.runtime import main

main()
