// The loss-injecting UDP proxy library lives in this module (see issue: proxy).
import RUDPSimulation
