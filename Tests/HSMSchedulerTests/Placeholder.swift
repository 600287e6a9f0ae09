// HSMSchedulerTests placeholder
