"""Electronic supervision (电子监察): step clocks on the working-day calendar, yellow and red
warnings to the person responsible, statistics per department and step, the applicant's
rating of the service (好差评), and an event feed for an external supervision system.

Every function that depends on the time takes ``now`` as an argument, so the clock is the
caller's: the API and the periodic task pass the real time, tests pass any time they need.
"""
