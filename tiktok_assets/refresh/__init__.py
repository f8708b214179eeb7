"""The refresh policy: which tracked routes a day's credits buy (`policy`), what the
warehouse knows of each (`observe`), the day's plan and its runs (`plan`), and how a refresh
schedule hands those runs to `refresh_launch_sensor` (`requests`)."""
