from cogdl.cli import main

raise SystemExit(main())
