"""The refresh: what each day fetches of the tracked ids, and how its runs are launched.

- `settings`: the policy, cadences and run sizes (environment variables);
- `runs`: tracked ids as ranged runs, priced and fitted to the credits;
- `first_fetch`: the seeding and discovery sensors' ticks (new ids' first fetch);
- `policy`, `observe`, `plan`: the adaptive policy — which routes a day's credits buy, what
  the warehouse knows of each, the day's plan (`refresh_plan`) and its runs;
- `projection`: the tracked set's projected monthly refresh cost (discovery's ceiling);
- `daily`: a refresh schedule's tick under either policy, and the runs that wait for its lists;
- `handoff`: the `refresh_requests` asset and `refresh_launch_sensor`'s tick.
"""
