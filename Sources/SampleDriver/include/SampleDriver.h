void sample_driver_placeholder(void);
