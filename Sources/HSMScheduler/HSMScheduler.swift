// HSMScheduler: placeholder until its issue lands.
