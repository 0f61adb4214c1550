/** AMQP 1.0's protocol headers (§2.2): the plain one and SASL's; the AMQP port's sniff picks on them. */
export const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
export const SASL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);
